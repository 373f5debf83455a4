-- 0005_outbox_by_address.sql - the outbox by recipient and kind, newest
-- first: the portal counts the links it has mailed to one address in the
-- last hour (portal_mail_quota_()), so that /reset and /signup cannot be
-- used to flood someone's inbox.

CREATE INDEX outbox_recipient ON outbox (lower(to_addr), kind, created_at);
