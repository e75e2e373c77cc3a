-- Schema version 4: pins. `sisyphus rollback` pins a resource (`Deployment/web/echo`, the
-- `target`) to its objects as of history row `to_push`: later pushes keep it there, whatever
-- the files say, until `sisyphus unpin`. `push_id` is the audit row of the pin.
CREATE TABLE pins (
    target TEXT PRIMARY KEY NOT NULL,
    resource_kind TEXT NOT NULL,
    folder TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    to_push BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    host TEXT NOT NULL,
    pinned_at BIGINT NOT NULL,
    push_id BIGINT NOT NULL
);
