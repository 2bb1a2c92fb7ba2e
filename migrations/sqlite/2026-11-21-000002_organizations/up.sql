CREATE TABLE payment_methods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id BIGINT NOT NULL REFERENCES console_members (id) ON DELETE CASCADE,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL,
    holder TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_methods_member ON payment_methods (member_id);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    member_id BIGINT NOT NULL REFERENCES console_members (id),
    name TEXT NOT NULL,
    oc_name TEXT,
    oc_name_lower TEXT UNIQUE,
    domain TEXT UNIQUE,
    oc_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    oc_enabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_member ON organizations (member_id);

CREATE TABLE org_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    login_id TEXT NOT NULL,
    login_id_lower TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    password_hash TEXT,
    is_owner BOOLEAN NOT NULL DEFAULT FALSE,
    is_org_admin BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT NOT NULL,
    accept_assignments BOOLEAN NOT NULL DEFAULT TRUE,
    session_epoch BIGINT NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    failed_window_start TIMESTAMP,
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (org_id, login_id_lower)
);
-- At most one OWNER per organization, whatever the code does.
CREATE UNIQUE INDEX org_members_one_owner ON org_members (org_id) WHERE is_owner;
