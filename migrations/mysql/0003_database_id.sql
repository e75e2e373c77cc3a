-- Schema version 3: the database's id, random, set once when the schema is created. A saved
-- change set (`sisyphus diff --out`) names it, so it is never applied to another database.
CREATE TABLE meta (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    value VARCHAR(255) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO meta (name, value) VALUES ('database_id', REPLACE(UUID(), '-', ''));
