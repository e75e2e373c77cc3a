-- Schema version 3: the database's id, random, set once when the schema is created. A saved
-- change set (`sisyphus diff --out`) names it, so it is never applied to another database.
CREATE TABLE meta (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('database_id', lower(hex(randomblob(16))));
