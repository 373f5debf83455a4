-- email.sql - templates, workflows (timed sequences of templates) and the
-- outbox every email goes through.

CREATE TABLE email_template (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    folder      text NOT NULL CHECK (folder ~ '^[^/[:space:]][^/]*$'),
    name        text NOT NULL CHECK (name ~ '^[^/[:space:]][^/]*$'),
    subject     text NOT NULL CHECK (btrim(subject) <> ''),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (folder, name)
);

CREATE TABLE workflow (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workflow_step (
    workflow_id  bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    position     integer NOT NULL CHECK (position > 0),
    template_id  bigint NOT NULL REFERENCES email_template (id),
    delay        interval NOT NULL CHECK (delay >= interval '0'),
    PRIMARY KEY (workflow_id, position)
);

CREATE TABLE enrollment (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id  bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    contact_id   bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    next_step    integer,           -- NULL once every step is sent
    next_at      timestamptz,
    finished_at  timestamptz
);
CREATE UNIQUE INDEX enrollment_active ON enrollment (workflow_id, contact_id)
    WHERE finished_at IS NULL;
CREATE INDEX enrollment_due ON enrollment (next_at) WHERE finished_at IS NULL;

CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL
                 CHECK (kind IN ('mention', 'graphics_complete', 'closed', 'reply',
                                 'portal_registration', 'password_reset',
                                 'task_reminder', 'workflow_step',
                                 'signup_confirm', 'client_reply', 'mail_failed')),
    to_addr      text NOT NULL CHECK (to_addr ~ '@'),
    subject      text NOT NULL,
    body         text NOT NULL,
    message_id   text,              -- this email's Message-ID
    in_reply_to  text,              -- threading on replies
    ticket_id    bigint REFERENCES ticket (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    not_before   timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   text,
    sent_at      timestamptz,
    failed_at    timestamptz,       -- given up after the last retry
    CHECK (sent_at IS NULL OR failed_at IS NULL),
    -- Last: migration 0007 added them.  The recipient's name for To:, and
    -- the References chain (space-separated Message-IDs, RFC 5322 3.6.4)
    -- of a ticket's email, so the sender composes it without a query.
    to_name      text,
    refs         text
);
-- The sender's queue: FOR UPDATE SKIP LOCKED over this index.
-- The links mailed to one address lately (portal_mail_quota_()).
CREATE INDEX outbox_recipient ON outbox (lower(to_addr), kind, created_at);
CREATE INDEX outbox_pending ON outbox (not_before, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;
-- A delivery report names the Message-ID it is about (outbox_bounced()).
CREATE INDEX outbox_message_id ON outbox (message_id) WHERE message_id IS NOT NULL;
