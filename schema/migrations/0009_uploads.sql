-- 0009_uploads.sql - files a staff client uploads in pieces before naming
-- them in a note or a reply (SPEC section 6: uploads.begin, uploads.append,
-- and notes.add/messages.send's attachments); see schema/tables/uploads.sql.


CREATE TABLE upload (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    staff_id      bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type  text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    size          bigint NOT NULL CHECK (size BETWEEN 0 AND 26214400),
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    received      bigint NOT NULL DEFAULT 0 CHECK (received BETWEEN 0 AND size),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Dropped an hour after they began (upload_begin() does it).
CREATE INDEX upload_created ON upload (created_at);
CREATE INDEX upload_staff ON upload (staff_id);

CREATE TABLE upload_piece (
    upload_id  uuid NOT NULL REFERENCES upload (id) ON DELETE CASCADE,
    at         bigint NOT NULL CHECK (at >= 0),
    content    bytea NOT NULL,
    PRIMARY KEY (upload_id, at)
);
