-- Server-side sessions: the cookie holds a random token, this table its SHA-256. Ending a
-- session is deleting its row, so it ends in every app instance at once.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    realm TEXT NOT NULL,
    org_id BIGINT,
    account_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX sessions_account ON sessions (realm, account_id);

-- Failed sign-ins per identifier (known or not, so a lock reveals nothing), counted before
-- any password is verified.
CREATE TABLE login_throttle (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    UNIQUE (scope, key_hash)
);

-- Background jobs: claimed with a conditional update and a lease, retried with backoff.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    unique_key TEXT UNIQUE,
    run_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_until TIMESTAMP,
    lease_token TEXT,
    status TEXT NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX jobs_due ON jobs (status, run_at);

-- The OWNER's rights come with the OWNER flag. Until now the flag also set the org-admin
-- right, which nobody granted and which a former OWNER kept; nothing else grants it yet.
UPDATE org_members SET is_org_admin = 0;
