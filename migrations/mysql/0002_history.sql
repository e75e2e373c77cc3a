-- Sisyphus state database, schema version 2, MySQL 8 / MariaDB 10.11. See docs/state.md.
-- Adds what each push changed (history) and pauses. Operations that change the state all
-- leave a `pushes` row (the audit trail): pause and resume now too.

-- One row per object a push (or a later rollback) changed: what it moved between.
-- `before_intent` and `after_intent` are the masked intents as JSON text (Secret values are
-- `****`), NULL for a create and a delete respectively. Written in the transaction that
-- records the object.
CREATE TABLE push_changes (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    push_id BIGINT NOT NULL,
    object_id VARCHAR(64) NOT NULL,
    cluster VARCHAR(255) NOT NULL,
    api_group TEXT NOT NULL,
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT,
    name TEXT NOT NULL,
    action VARCHAR(16) NOT NULL,
    resource_kind TEXT,
    resource_folder TEXT,
    resource_name VARCHAR(255),
    config_before TEXT,
    binary_before TEXT,
    config_after TEXT,
    binary_after TEXT,
    before_intent LONGTEXT,
    after_intent LONGTEXT,
    reasons TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    INDEX push_changes_push (push_id),
    INDEX push_changes_resource (resource_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Paused resources (`Deployment/web/echo`) and namespaces (`namespace/web`): pushes leave
-- them as they are. `target` is that text (at most 14 + 63 + 253 + 2 characters); `push_id`
-- is the audit row of the pause.
CREATE TABLE pauses (
    target VARCHAR(400) NOT NULL PRIMARY KEY,
    resource_kind TEXT,
    folder TEXT NOT NULL,
    resource_name TEXT,
    user_name TEXT NOT NULL,
    host TEXT NOT NULL,
    reason TEXT,
    paused_at BIGINT NOT NULL,
    push_id BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
