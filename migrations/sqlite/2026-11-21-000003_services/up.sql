ALTER TABLE organizations ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Asia/Seoul';
ALTER TABLE organizations ADD COLUMN api_key_hash TEXT;
ALTER TABLE organizations ADD COLUMN api_key_prefix TEXT;
CREATE UNIQUE INDEX organizations_api_key ON organizations (api_key_hash);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    service_id TEXT NOT NULL,
    service_id_lower TEXT NOT NULL,
    languages TEXT NOT NULL,
    timezone TEXT NOT NULL,
    editor TEXT NOT NULL,
    banner BLOB,
    banner_type TEXT,
    status TEXT NOT NULL,
    terminated_on TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- A service ID is unique in its organization among the services not terminated.
CREATE UNIQUE INDEX services_live_id ON services (org_id, service_id_lower) WHERE status <> 'terminated';
CREATE INDEX services_org ON services (org_id);

-- One contract change per service and calendar day (the service's time zone): the
-- unique index refuses the second one, also when two admins submit at once.
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_ref BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    effective_date TEXT NOT NULL,
    selection TEXT NOT NULL,
    monthly_cost BIGINT NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (service_ref, effective_date)
);
