-- Company info entries of an organization: shown in the footer of the help centers whose
-- service chooses one. Terms of use and privacy policy are long text (the service's
-- editor type decides how they are shown).
CREATE TABLE company_infos (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    company_name TEXT NOT NULL,
    representative TEXT NOT NULL,
    business_number TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL,
    copyright TEXT NOT NULL,
    terms TEXT NOT NULL,
    privacy TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX company_infos_org ON company_infos (org_id, id);

-- The entry a service's help center shows in its footer (none by default). The foreign
-- key refuses deleting an entry a help center still shows.
ALTER TABLE services ADD COLUMN company_info_id BIGINT REFERENCES company_infos (id);
CREATE INDEX services_company_info ON services (company_info_id);
