-- upgrade_test.sql - a stand-in numbered migration for the upgrade test's
-- docketctl only (never shipped), numbered after the real ones: what the
-- first real one will do (a new column, a new table that refers to an old
-- one, an index, a row), so that ctl_migrate_upgrade.sh runs numbered
-- migrations before a release has one.  The table comes after the column:
-- the test makes it fail there and checks that the column is rolled back.
ALTER TABLE contact ADD COLUMN upgrade_test_language text NOT NULL DEFAULT 'en';
CREATE TABLE upgrade_test (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX upgrade_test_contact ON upgrade_test (contact_id);
INSERT INTO setting (key, value) VALUES ('upgrade_test', 'applied');
