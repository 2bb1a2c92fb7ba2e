-- A number that changes with every new person of an org's permission-change log (people
-- are only ever added), in the same transaction, read with the tenant: the log search keeps
-- the people a name matched per org, name and this version (see `db::Versioned`).
ALTER TABLE organizations ADD COLUMN people_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER people_version_insert AFTER INSERT ON permission_log_people BEGIN
    UPDATE organizations SET people_version = people_version + 1 WHERE id = NEW.org_id;
END;
CREATE TRIGGER people_version_update AFTER UPDATE ON permission_log_people BEGIN
    UPDATE organizations SET people_version = people_version + 1
    WHERE id IN (OLD.org_id, NEW.org_id);
END;
CREATE TRIGGER people_version_delete AFTER DELETE ON permission_log_people BEGIN
    UPDATE organizations SET people_version = people_version + 1 WHERE id = OLD.org_id;
END;
