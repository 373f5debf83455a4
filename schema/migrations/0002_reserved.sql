-- 0002_reserved.sql - a placeholder: schema version 2 belongs to another branch's migration, which replaces this file when the branches merge (delete this one then); it changes nothing.
DO $$ BEGIN END $$;
