-- A number that changes with every change of an org's services or contracts, in the same
-- transaction (triggers, so no write path can forget it). The fee and contract pages keep
-- what they computed from those rows per org and version, and read only this number on
-- the next request: a change shows on the next request, in every instance.
ALTER TABLE organizations ADD COLUMN services_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER services_version_insert AFTER INSERT ON services BEGIN
    UPDATE organizations SET services_version = services_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER services_version_update AFTER UPDATE ON services BEGIN
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
