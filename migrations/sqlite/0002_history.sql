-- Sisyphus state database, schema version 2, SQLite. See docs/state.md.
-- Adds what each push changed (history) and pauses. Operations that change the state all
-- leave a `pushes` row (the audit trail): pause and resume now too.

-- One row per object a push (or a later rollback) changed: what it moved between.
-- `before_intent` and `after_intent` are the masked intents as JSON text (Secret values are
-- `****`), NULL for a create and a delete respectively. Written in the transaction that
-- records the object.
CREATE TABLE push_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    push_id INTEGER NOT NULL,
    object_id TEXT NOT NULL,
    cluster TEXT NOT NULL,
    api_group TEXT NOT NULL,
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    resource_kind TEXT,
    resource_folder TEXT,
    resource_name TEXT,
    config_before TEXT,
    binary_before TEXT,
    config_after TEXT,
    binary_after TEXT,
    before_intent TEXT,
    after_intent TEXT,
    reasons TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX push_changes_push ON push_changes (push_id);
CREATE INDEX push_changes_resource ON push_changes (resource_name);

-- Paused resources (`Deployment/web/echo`) and namespaces (`namespace/web`): pushes leave
-- them as they are. `target` is that text; `push_id` is the audit row of the pause.
CREATE TABLE pauses (
    target TEXT PRIMARY KEY NOT NULL,
    resource_kind TEXT,
    folder TEXT NOT NULL,
    resource_name TEXT,
    user_name TEXT NOT NULL,
    host TEXT NOT NULL,
    reason TEXT,
    paused_at INTEGER NOT NULL,
    push_id INTEGER NOT NULL
);
