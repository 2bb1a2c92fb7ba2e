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

CREATE TRIGGER services_version AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION bump_services_version();
CREATE TRIGGER contracts_version AFTER INSERT OR UPDATE OR DELETE ON contracts
    FOR EACH ROW EXECUTE FUNCTION bump_services_version();
CREATE TRIGGER service_members_version AFTER INSERT OR UPDATE OR DELETE ON service_members
    FOR EACH ROW EXECUTE FUNCTION bump_services_version();
