-- attachments.sql - what an attachment may be called and what type it is
-- stored as, whoever stores it (mail intake today, portal uploads later):
-- the attachment_clean trigger (triggers.sql) applies both to every row.

-- A safe base name: no folders (the part after the last / or \), no
-- control or invisible formatting characters (C0, DEL, C1, zero-width,
-- bidirectional overrides: "gnp.exe" shown as "exe.png"), no quotes,
-- backquotes or angle brackets (each becomes _), spaces collapsed, no
-- leading or trailing dots or spaces, at most 120 characters with the
-- extension kept, and never empty ("attachment").  Letters of any script
-- are kept.
CREATE OR REPLACE FUNCTION attachment_name(p_name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    n text := coalesce(p_name, '');
    ext text;
BEGIN
    n := regexp_replace(n, '^.*[/\\]', '');
    n := regexp_replace(n, '[\x01-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]', '', 'g');
    n := regexp_replace(n, '["''`<>]', '_', 'g');
    n := regexp_replace(n, '[[:space:]]+', ' ', 'g');
    n := btrim(n, ' .');
    IF length(n) > 120 THEN
        ext := substring(n from '(\.[[:alnum:]]{1,16})$');
        n := rtrim(left(n, 120 - coalesce(length(ext), 0)), ' .') || coalesce(ext, '');
    END IF;
    IF n = '' THEN
        n := 'attachment';
    END IF;
    RETURN n;
END
$$;

-- The type an attachment is stored (and later served) as.  An allow-list
-- of types a browser shows as data or offers to download: documents,
-- archives, raster images, audio, video, plain text.  Everything else --
-- text/html, image/svg+xml, application/xhtml+xml, JavaScript, XML, XSL,
-- anything unknown or malformed -- is application/octet-stream, so that a
-- new type that renders as a page is never let through by omission.
-- Parameters (; charset=...) are dropped.
CREATE OR REPLACE FUNCTION attachment_type(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN t ~ ('^(application/(pdf|octet-stream|zip|x-zip-compressed|gzip'
                          '|x-7z-compressed|x-tar|msword|rtf|vnd\.ms-excel|vnd\.ms-powerpoint'
                          '|vnd\.openxmlformats-officedocument\.(wordprocessingml\.document'
                          '|spreadsheetml\.sheet|presentationml\.presentation)'
                          '|vnd\.oasis\.opendocument\.(text|spreadsheet|presentation|graphics))'
                          '|image/(png|jpeg|gif|webp|bmp|tiff|heic|heif|avif)'
                          '|audio/(mpeg|ogg|wav|mp4|aac|webm)'
                          '|video/(mp4|mpeg|webm|ogg|quicktime)'
                          '|text/(plain|csv))$')
                THEN t ELSE 'application/octet-stream' END
      FROM (SELECT lower(btrim(split_part(coalesce(p_type, ''), ';', 1))) AS t) x
$$;

CREATE OR REPLACE FUNCTION attachment_clean() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.filename := attachment_name(NEW.filename);
    NEW.content_type := attachment_type(NEW.content_type);
    RETURN NEW;
END
$$;
