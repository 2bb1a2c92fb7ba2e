-- A number that changes with every change of an org's services, contracts or service
-- members, in the same transaction (triggers, so no write path can forget it). The fee
-- and contract pages and the members' service tabs keep what they computed from those
-- rows per org and version, and on the next request read only this number (with the
-- tenant): a change shows on the next request, in every instance.
ALTER TABLE organizations ADD COLUMN services_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_services_version() RETURNS trigger AS $$
BEGIN
    -- OLD and NEW are read only where the operation has them (an update bumps twice).
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_TABLE_NAME <> 'contracts' THEN
            UPDATE organizations SET services_version = services_version + 1
            WHERE id = OLD.org_id;
        ELSE
            UPDATE organizations SET services_version = services_version + 1
            WHERE id = (SELECT s.org_id FROM services s WHERE s.id = OLD.service_ref);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_TABLE_NAME <> 'contracts' THEN
            UPDATE organizations SET services_version = services_version + 1
            WHERE id = NEW.org_id;
        ELSE
            UPDATE organizations SET services_version = services_version + 1
            WHERE id = (SELECT s.org_id FROM services s WHERE s.id = NEW.service_ref);
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- An update that names only `id` (the no-op that serializes ticket numbering, on every
-- new ticket) changes nothing kept: the services trigger fires for the other columns only.
CREATE TRIGGER services_version AFTER INSERT OR DELETE OR UPDATE OF
        org_id, kind, name, service_id, service_id_lower, languages, timezone, editor, banner,
        banner_type, status, terminated_on, created_at, updated_at, latest_effective, latest_cost,
        company_info_id
    ON services FOR EACH ROW EXECUTE FUNCTION bump_services_version();
CREATE TRIGGER contracts_version AFTER INSERT OR UPDATE OR DELETE ON contracts
    FOR EACH ROW EXECUTE FUNCTION bump_services_version();
CREATE TRIGGER service_members_version AFTER INSERT OR UPDATE OR DELETE ON service_members
    FOR EACH ROW EXECUTE FUNCTION bump_services_version();
