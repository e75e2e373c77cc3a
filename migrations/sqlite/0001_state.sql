-- Sisyphus state database, schema version 1, SQLite. See docs/state.md.
-- Times are unix milliseconds (UTC); booleans are 0/1.

-- The push lock: one row per lock (only `push` today). `token` is NULL when nobody holds it.
-- `generation` counts every write to `objects`; it lives on this row so the one statement
-- that checks the lease also counts the write.
CREATE TABLE locks (
    name TEXT PRIMARY KEY NOT NULL,
    token TEXT,
    holder_user TEXT,
    holder_host TEXT,
    holder_pid INTEGER,
    acquired_at INTEGER,
    heartbeat_at INTEGER,
    expires_at INTEGER,
    generation INTEGER NOT NULL DEFAULT 0
);
INSERT INTO locks (name) VALUES ('push');

-- One row per push, import, forget, refresh or unlock.
CREATE TABLE pushes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL,
    user_name TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    inputs_hash TEXT,
    outcome TEXT NOT NULL,
    creates INTEGER NOT NULL DEFAULT 0,
    updates INTEGER NOT NULL DEFAULT 0,
    recreates INTEGER NOT NULL DEFAULT 0,
    deletes INTEGER NOT NULL DEFAULT 0,
    adopts INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    message TEXT
);

-- The objects Sisyphus last applied. `id` is sha256 of (cluster, group, kind, namespace,
-- name) as 64 hex digits (sisyphus_core::state::ObjectId::hash); `namespace` is NULL for
-- cluster-scoped objects.
CREATE TABLE objects (
    id TEXT PRIMARY KEY NOT NULL,
    cluster TEXT NOT NULL,
    api_group TEXT NOT NULL,
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT,
    name TEXT NOT NULL,
    applied TEXT NOT NULL,
    applied_hash TEXT NOT NULL,
    uid TEXT,
    resource_version TEXT,
    config_image TEXT,
    binary_image TEXT,
    resource_kind TEXT,
    resource_folder TEXT,
    resource_name TEXT,
    push_id INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX objects_cluster ON objects (cluster);
CREATE INDEX objects_push ON objects (push_id);
