-- Data migration uploads: the workbook lives here until it is applied or deleted (then
-- its bytes are dropped). status: pending (checked, awaiting confirmation), reserved,
-- running, done, failed, deleted.
CREATE TABLE data_migrations (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_ref BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    file_bytes BYTEA,
    rows_total INTEGER NOT NULL,
    rows_done INTEGER NOT NULL,
    status TEXT NOT NULL,
    scheduled_for TIMESTAMP,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    imported INTEGER,
    error TEXT
);
CREATE INDEX data_migrations_org ON data_migrations (org_id, id);
