-- Sisyphus state database, schema version 1, MySQL 8 / MariaDB 10.11. See docs/state.md.
-- Times are unix milliseconds (UTC); booleans are TINYINT(1). Text compares byte for byte
-- (utf8mb4_bin), like the other dialects. Keys are short: the objects table's primary key is
-- the 64-hex id, never a composite of names (which would exceed InnoDB's key length).

-- The push lock: one row per lock (only `push` today). `token` is NULL when nobody holds it.
-- `generation` counts every write to `objects`; it lives on this row so the one statement
-- that checks the lease also counts the write.
CREATE TABLE locks (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    token VARCHAR(128),
    holder_user TEXT,
    holder_host TEXT,
    holder_pid BIGINT,
    acquired_at BIGINT,
    heartbeat_at BIGINT,
    expires_at BIGINT,
    generation BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO locks (name) VALUES ('push');

-- One row per push, import, forget, refresh or unlock.
CREATE TABLE pushes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    operation VARCHAR(16) NOT NULL,
    user_name TEXT NOT NULL,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    inputs_hash TEXT,
    outcome VARCHAR(16) NOT NULL,
    creates BIGINT NOT NULL DEFAULT 0,
    updates BIGINT NOT NULL DEFAULT 0,
    recreates BIGINT NOT NULL DEFAULT 0,
    deletes BIGINT NOT NULL DEFAULT 0,
    adopts BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    message TEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The objects Sisyphus last applied. `id` is sha256 of (cluster, group, kind, namespace,
-- name) as 64 hex digits (sisyphus_core::state::ObjectId::hash); `namespace` is NULL for
-- cluster-scoped objects. `applied` is LONGTEXT: a ConfigMap may hold up to 1 MiB.
CREATE TABLE objects (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    cluster VARCHAR(255) NOT NULL,
    api_group TEXT NOT NULL,
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT,
    name TEXT NOT NULL,
    applied LONGTEXT NOT NULL,
    applied_hash VARCHAR(64) NOT NULL,
    uid TEXT,
    resource_version TEXT,
    config_image TEXT,
    binary_image TEXT,
    resource_kind TEXT,
    resource_folder TEXT,
    resource_name TEXT,
    push_id BIGINT NOT NULL,
    created BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    INDEX objects_cluster (cluster),
    INDEX objects_push (push_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
