-- conversation.sql - the client-visible conversation, internal notes and
-- their mentions, attachments.

CREATE TABLE message (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id          bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    direction          text NOT NULL CHECK (direction IN ('in', 'out')),
    author_staff_id    bigint REFERENCES staff (id),
    author_contact_id  bigint REFERENCES contact (id),
    body               text NOT NULL CHECK (length(body) <= 1000000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    message_id         text UNIQUE,       -- RFC 5322 Message-ID, for threading
    in_reply_to        text,
    -- Out is written by staff; in comes from the contact (or mail intake).
    CHECK (direction = 'in' OR author_staff_id IS NOT NULL),
    CHECK (direction = 'out' OR author_staff_id IS NULL),
    -- Where it came from: a contact's email ('email') or the portal
    -- ('portal'); a staff reply ('staff', sent to the contact by email).
    -- Last: migration 0004 added it.
    source             text NOT NULL DEFAULT 'email'
                       CHECK (source IN ('email', 'portal', 'staff')),
    -- What became of a staff reply's email (NULL for a contact's message):
    -- queued until the relay takes it, sent, or failed with the server's
    -- words (a 5xx at once, or a delivery report later).  Last: migration
    -- 0007 added them.
    delivery           text CHECK (delivery IN ('queued', 'sent', 'failed')),
    delivery_error     text,
    delivery_at        timestamptz,       -- when it was sent or failed
    CONSTRAINT message_delivery_out CHECK (delivery IS NULL OR direction = 'out'),
    CONSTRAINT message_delivery_error CHECK (delivery_error IS NULL OR delivery = 'failed')
);
CREATE INDEX message_ticket ON message (ticket_id, created_at, id);

CREATE TABLE note (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES staff (id),
    body        text NOT NULL CHECK (btrim(body) <> '' AND length(body) <= 100000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- A note that came by email (a staff member answering a
    -- notification): its Message-ID, so that a second delivery adds
    -- nothing.  Last: migration 0006 added it.
    message_id  text UNIQUE
);
CREATE INDEX note_ticket ON note (ticket_id, created_at, id);

CREATE TABLE mention (
    note_id   bigint NOT NULL REFERENCES note (id) ON DELETE CASCADE,
    staff_id  bigint NOT NULL REFERENCES staff (id),
    PRIMARY KEY (note_id, staff_id)
);
CREATE INDEX mention_staff ON mention (staff_id);

CREATE TABLE attachment (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES ticket (id) ON DELETE CASCADE,
    message_id    bigint REFERENCES message (id) ON DELETE CASCADE,
    -- A safe base name and a type shown only as data: the attachment_clean
    -- trigger makes them so (schema/functions/attachments.sql); these are
    -- the floor even without it.
    filename      text NOT NULL CHECK (filename ~ '^[^/\\"''`<>[:cntrl:]]{1,255}$'
                                       AND filename !~ '^\.'),
    content_type  text NOT NULL CHECK (content_type ~ '^[a-z0-9.+-]+/[a-z0-9.+_-]+$'
                                       AND content_type !~ '(html|[+/]xml|script|svg|xsl)'),
    size          bigint NOT NULL CHECK (size >= 0),
    sha256        bytea NOT NULL,
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (size = length(content)),
    CHECK (sha256 = sha256(content))
);
CREATE INDEX attachment_ticket ON attachment (ticket_id, id);
CREATE INDEX attachment_message ON attachment (message_id) WHERE message_id IS NOT NULL;
