-- A number that changes with every change of an org's services, contracts or service
-- members, in the same transaction (triggers, so no write path can forget it). The fee
-- and contract pages and the members' service tabs keep what they computed from those
-- rows per org and version, and on the next request read only this number (with the
-- tenant): a change shows on the next request, in every instance.
ALTER TABLE organizations ADD COLUMN services_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER services_version_insert AFTER INSERT ON services BEGIN
    UPDATE organizations SET services_version = services_version + 1 WHERE id = NEW.org_id;
END;
-- An update that names only `id` (the no-op that serializes ticket numbering, on every
-- new ticket) changes nothing kept: the services trigger fires for the other columns only.
CREATE TRIGGER services_version_update AFTER UPDATE OF
        org_id, kind, name, service_id, service_id_lower, languages, timezone, editor, banner,
        banner_type, status, terminated_on, created_at, updated_at, latest_effective, latest_cost,
        company_info_id
    ON services BEGIN
    UPDATE organizations SET services_version = services_version + 1
    WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER services_version_delete AFTER DELETE ON services BEGIN
    UPDATE organizations SET services_version = services_version + 1 WHERE id = OLD.org_id;
END;
CREATE TRIGGER contracts_version_insert AFTER INSERT ON contracts BEGIN
    UPDATE organizations SET services_version = services_version + 1
    WHERE id = (SELECT org_id FROM services WHERE id = NEW.service_ref);
END;
CREATE TRIGGER contracts_version_update AFTER UPDATE ON contracts BEGIN
    UPDATE organizations SET services_version = services_version + 1
    WHERE id IN (SELECT org_id FROM services WHERE id IN (OLD.service_ref, NEW.service_ref));
END;
CREATE TRIGGER contracts_version_delete AFTER DELETE ON contracts BEGIN
    UPDATE organizations SET services_version = services_version + 1
    WHERE id = (SELECT org_id FROM services WHERE id = OLD.service_ref);
END;
CREATE TRIGGER service_members_version_insert AFTER INSERT ON service_members BEGIN
    UPDATE organizations SET services_version = services_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER service_members_version_update AFTER UPDATE ON service_members BEGIN
    UPDATE organizations SET services_version = services_version + 1
    WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER service_members_version_delete AFTER DELETE ON service_members BEGIN
    UPDATE organizations SET services_version = services_version + 1 WHERE id = OLD.org_id;
END;
