-- Service members: an org member's role in one service (admin or agent) with its channel
-- permissions. One row per member and service.
CREATE TABLE service_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_ref BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES org_members (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    phone BOOLEAN NOT NULL,
    chat BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX service_members_service_member ON service_members (service_ref, member_id);
CREATE INDEX service_members_member ON service_members (member_id);

-- Pending invitations: an org member created without a password and a single-use link
-- (its SHA-256 only) to set one. Resending replaces the hash, so the old link dies.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES org_members (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    invited_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX invitations_member ON invitations (member_id);
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);

-- The log's search: newest first within a date range, optionally by action or service.
-- The name filter ("contains", any case, actor or target) reads one lowercased column
-- kept beside the names; the date-range index carries it, so a range is filtered without
-- touching the table (1 ms instead of 15 ms for 7 days of a million rows on SQLite).
ALTER TABLE permission_logs ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE permission_logs SET search_text = lower(actor_name || char(31) || actor_login || char(31) || target_name || char(31) || target_login);
DROP INDEX permission_logs_org_at;
CREATE INDEX permission_logs_org_at_search ON permission_logs (org_id, at, id, search_text);
CREATE INDEX permission_logs_org_action_at ON permission_logs (org_id, action, at, id);
CREATE INDEX permission_logs_org_service_at ON permission_logs (org_id, service_ref, at, id);

-- The log is append-only in the database itself, whatever code runs against it.
CREATE TRIGGER permission_logs_no_update BEFORE UPDATE ON permission_logs
BEGIN SELECT RAISE(ABORT, 'permission_logs is append-only'); END;
CREATE TRIGGER permission_logs_no_delete BEFORE DELETE ON permission_logs
BEGIN SELECT RAISE(ABORT, 'permission_logs is append-only'); END;
