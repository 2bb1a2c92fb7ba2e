-- Who granted a member the org-admin right, and when (shown in the org-admin list).
ALTER TABLE org_members ADD COLUMN org_admin_since TIMESTAMP;
ALTER TABLE org_members ADD COLUMN org_admin_granted_by TEXT;

-- The permission-change log: one row per change, written in the change's transaction,
-- never updated or deleted. Names and login IDs are kept as they were at the time.
CREATE TABLE permission_logs (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    service_ref BIGINT,
    actor_name TEXT NOT NULL,
    actor_login TEXT NOT NULL,
    target_name TEXT NOT NULL,
    target_login TEXT NOT NULL,
    before_value TEXT NOT NULL,
    after_value TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX permission_logs_org_at ON permission_logs (org_id, at, id);
