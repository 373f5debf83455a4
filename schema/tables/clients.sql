-- clients.sql - companies (schools), contacts and their static lists.

CREATE TABLE company (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    website     text CHECK (website ~ '^https?://[^[:space:]]+$'),
    domain      text CHECK (domain ~ '^[a-z0-9.-]+$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX company_name_key ON company (lower(name));
CREATE INDEX company_name_trgm ON company USING gin (lower(name) gin_trgm_ops);

CREATE TABLE contact (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email              text NOT NULL
                       CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'
                              AND length(email) <= 254),
    first_name         text NOT NULL DEFAULT '' CHECK (length(first_name) <= 100),
    last_name          text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
    title              text CHECK (length(title) <= 200),
    phone              text CHECK (length(phone) <= 50),
    company_id         bigint REFERENCES company (id) ON DELETE SET NULL,
    cloudfront_domain  text,
    -- Customer portal account: set when the contact registers.
    password_hash      text,
    registered_at      timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    -- The portal's language for this contact (portal.languages), for its
    -- pages and for the emails the contact gets (migration 0011).
    language           text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}$'),
    -- Whether the contact (or their first page: registration, sign-up,
    -- a first single sign-on) chose it, or it is only the default: a
    -- contact who signs in with the school's account and never registers
    -- gets the language of that first sign-in (migration 0012).
    language_chosen    boolean NOT NULL DEFAULT false
);
-- Email is unique regardless of case: Ola@school.no is ola@school.no.
CREATE UNIQUE INDEX contact_email_key ON contact (lower(email));
CREATE INDEX contact_company ON contact (company_id);
CREATE INDEX contact_search_trgm ON contact
    USING gin (lower(first_name || ' ' || last_name || ' ' || email) gin_trgm_ops);

CREATE TABLE list (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE list_member (
    list_id     bigint NOT NULL REFERENCES list (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX list_member_contact ON list_member (contact_id);
