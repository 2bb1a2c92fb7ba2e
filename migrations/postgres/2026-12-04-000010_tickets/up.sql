-- Custom ticket fields of a service. Labels (UI language -> label) and select options are
-- JSON text. The key never changes (spreadsheet templates map columns by it).
CREATE TABLE ticket_fields (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_ref BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    field_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    labels TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    options TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ticket_fields_key ON ticket_fields (service_ref, field_key);

-- Tickets, numbered per service. Custom field values are a JSON object (field key ->
-- value), kept when a field is deactivated. An imported ticket keeps its upload and row;
-- the unique (upload, row) key makes a rerun of an import never duplicate a row.
CREATE TABLE tickets (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_ref BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    requester_name TEXT NOT NULL,
    requester_email TEXT NOT NULL,
    requester_phone TEXT NOT NULL,
    channel TEXT NOT NULL,
    assignee_id BIGINT REFERENCES org_members (id) ON DELETE SET NULL,
    tags TEXT NOT NULL,
    custom TEXT NOT NULL,
    created_by BIGINT,
    source_upload BIGINT,
    source_row INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tickets_number ON tickets (service_ref, number);
CREATE UNIQUE INDEX tickets_source ON tickets (source_upload, source_row);
CREATE INDEX tickets_service_status ON tickets (service_ref, status, id);
CREATE INDEX tickets_service_assignee ON tickets (service_ref, assignee_id, id);
