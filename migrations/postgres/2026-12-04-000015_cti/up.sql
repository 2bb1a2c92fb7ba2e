-- CTI settings of a counselling service whose contract includes phone CTI (one row per
-- service, written on the first save).
CREATE TABLE cti_settings (
    service_ref BIGINT PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    tenant_name TEXT NOT NULL,
    mobile_contact BOOLEAN NOT NULL,
    log_monitoring BOOLEAN NOT NULL,
    after_call_batch BOOLEAN NOT NULL,
    ob_ticket_auto BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A member's CTI login (CTI ID and CTI number), each unique within the organization: the
-- database settles two concurrent claims of one ID.
CREATE TABLE cti_agents (
    member_id BIGINT PRIMARY KEY REFERENCES org_members (id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    cti_id TEXT NOT NULL,
    cti_no TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX cti_agents_id ON cti_agents (org_id, cti_id);
CREATE UNIQUE INDEX cti_agents_no ON cti_agents (org_id, cti_no);

-- Every agent-state change and call event, from the CTI's API, the phone widget or the
-- after-call rule ('auto'), once (event_id unique per organization). channel: phone | chat.
-- A state event has state; a call event has direction/phase/... and call_ref, the id of
-- the call's first event. logged: recorded while the service's CTI log monitoring was on.
CREATE TABLE cti_events (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_ref BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES org_members (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    cti_id TEXT NOT NULL,
    state TEXT,
    direction TEXT,
    phase TEXT,
    customer_number TEXT,
    wait_seconds INTEGER,
    talk_seconds INTEGER,
    cause TEXT,
    call_ref BIGINT,
    ticket_id BIGINT,
    source TEXT NOT NULL,
    logged BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX cti_events_event_id ON cti_events (org_id, event_id);
CREATE INDEX cti_events_service_at ON cti_events (service_ref, at, id);
CREATE INDEX cti_events_member ON cti_events (service_ref, member_id, channel, at, id);
