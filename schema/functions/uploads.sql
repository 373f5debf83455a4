-- uploads.sql - a staff client's files sent in pieces (uploads.begin,
-- uploads.append) and then attached to a note or a reply by naming them
-- (notes.add and messages.send's attachments).

-- How many uploads one staff member may have begun and not used: a client
-- attaches a few files at once; more is a runaway client or an attack on
-- the database's disk.
CREATE OR REPLACE FUNCTION upload_pending_max_() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 20 $$;

-- A new upload for p_staff: its name, type, size (at most 25 MiB, what
-- mail intake takes too) and SHA-256 (hex), checked when it is used.
-- Uploads not used within an hour are dropped here, everyone's, so that
-- nothing needs a timer.  DK400 for bad values, DK429 past the pending
-- limit.  Returns the upload's id.
CREATE OR REPLACE FUNCTION upload_begin(p_staff bigint, p_filename text, p_type text,
                                        p_size bigint, p_sha256 text)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
    id uuid;
BEGIN
    DELETE FROM upload WHERE created_at < now() - interval '1 hour';
    IF btrim(coalesce(p_filename, '')) = '' OR length(p_filename) > 255 THEN
        RAISE EXCEPTION 'an upload needs a file name of at most 255 characters'
            USING ERRCODE = 'DK400';
    END IF;
    IF coalesce(p_type, '') !~ '^[A-Za-z0-9.+-]+/[A-Za-z0-9.+_-]+$' OR length(p_type) > 255 THEN
        RAISE EXCEPTION 'content_type "%" is not a MIME type like application/pdf',
                        left(coalesce(p_type, ''), 80) USING ERRCODE = 'DK400';
    END IF;
    IF p_size IS NULL OR p_size < 0 OR p_size > 26214400 THEN
        RAISE EXCEPTION 'a file may be at most 26214400 bytes (25 MiB)' USING ERRCODE = 'DK400';
    END IF;
    IF coalesce(p_sha256, '') !~ '^[0-9a-fA-F]{64}$' THEN
        RAISE EXCEPTION 'sha256 must be 64 hexadecimal digits' USING ERRCODE = 'DK400';
    END IF;
    PERFORM 1 FROM staff WHERE staff.id = p_staff FOR UPDATE; -- one count at a time
    IF (SELECT count(*) FROM upload u WHERE u.staff_id = p_staff) >= upload_pending_max_() THEN
        RAISE EXCEPTION 'you have % uploads not yet attached; attach or wait an hour',
                        upload_pending_max_() USING ERRCODE = 'DK429';
    END IF;
    INSERT INTO upload (staff_id, filename, content_type, size, sha256)
    VALUES (p_staff, p_filename, lower(p_type), p_size, decode(p_sha256, 'hex'))
    RETURNING upload.id INTO id;
    RETURN id;
END
$$;

-- The next piece of p_upload, at p_offset (which must be what has arrived
-- so far: DK409 naming it otherwise, so a client that lost an answer knows
-- where to go on; the same piece again is taken as already there).
-- DK404 for an upload that is not p_staff's or is gone; DK400 past its
-- size.  Returns the bytes received so far.
CREATE OR REPLACE FUNCTION upload_append(p_staff bigint, p_upload uuid, p_offset bigint,
                                         p_content bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    u upload;
BEGIN
    SELECT * INTO u FROM upload WHERE id = p_upload AND staff_id = p_staff FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no upload %', p_upload USING ERRCODE = 'DK404';
    END IF;
    IF p_offset < u.received AND EXISTS (SELECT 1 FROM upload_piece
                                         WHERE upload_id = u.id AND at = p_offset
                                           AND content = p_content) THEN
        RETURN u.received; -- a retry of a piece already taken
    END IF;
    IF p_offset <> u.received THEN
        RAISE EXCEPTION 'upload % has % bytes; the next piece goes at offset %',
                        p_upload, u.received, u.received USING ERRCODE = 'DK409';
    END IF;
    IF u.received + length(p_content) > u.size THEN
        RAISE EXCEPTION 'the piece goes past the upload''s size (% bytes)', u.size
            USING ERRCODE = 'DK400';
    END IF;
    INSERT INTO upload_piece (upload_id, at, content) VALUES (u.id, p_offset, p_content);
    UPDATE upload SET received = received + length(p_content) WHERE id = u.id
    RETURNING received INTO u.received;
    RETURN u.received;
END
$$;

-- Attach p_uploads (p_staff's, complete, matching their SHA-256) to
-- p_ticket, and to message p_message when they came with a reply; the
-- uploads are used up.  DK400 for one that is incomplete or does not
-- match, DK404 for one that is not there.  Returns the attachments as
-- [{id, filename, size}].
CREATE OR REPLACE FUNCTION uploads_attach_(p_staff bigint, p_uploads uuid[], p_ticket bigint,
                                           p_message bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    u upload;
    body bytea;
    aid bigint;
    made jsonb := '[]';
BEGIN
    IF coalesce(cardinality(p_uploads), 0) > upload_pending_max_() THEN
        RAISE EXCEPTION 'at most % files at once', upload_pending_max_() USING ERRCODE = 'DK400';
    END IF;
    FOR u IN SELECT x.* FROM unnest(p_uploads) WITH ORDINALITY AS i (id, n)
               LEFT JOIN upload x ON x.id = i.id AND x.staff_id = p_staff
              ORDER BY i.n
    LOOP
        IF u.id IS NULL THEN
            RAISE EXCEPTION 'an upload named in attachments is not there (used, or older than an hour)'
                USING ERRCODE = 'DK404';
        END IF;
        IF u.received <> u.size THEN
            RAISE EXCEPTION 'upload % ("%") has % of % bytes', u.id, u.filename, u.received, u.size
                USING ERRCODE = 'DK400';
        END IF;
        SELECT coalesce(string_agg(content, ''::bytea ORDER BY at), ''::bytea) INTO body
          FROM upload_piece WHERE upload_id = u.id;
        IF sha256(body) <> u.sha256 THEN
            RAISE EXCEPTION 'upload % ("%") does not match its SHA-256', u.id, u.filename
                USING ERRCODE = 'DK400';
        END IF;
        -- The attachment_clean trigger makes the name and type safe.
        INSERT INTO attachment (ticket_id, message_id, filename, content_type, size, sha256, content)
        VALUES (p_ticket, p_message, u.filename, u.content_type, length(body), u.sha256, body)
        RETURNING id INTO aid;
        DELETE FROM upload WHERE id = u.id;
        made := made || jsonb_build_array(jsonb_build_object('id', aid, 'filename',
                   (SELECT filename FROM attachment WHERE id = aid), 'size', length(body)));
    END LOOP;
    RETURN made;
END
$$;
