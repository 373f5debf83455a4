-- version.sql - the schema version this tree creates, written here and only
-- here: the build reads the number below for docketctl and docketd
-- (cmake/schema.cmake), and the newest schema/migrations/NNNN_*.sql must
-- carry the same number (the build fails otherwise).
INSERT INTO schema_version (version) VALUES (15);
