-- A number that changes with every new person of an org's permission-change log (people
-- are only ever added), in the same transaction, read with the tenant: the log search keeps
-- the people a name matched per org, name and this version (see `db::Versioned`).
ALTER TABLE organizations ADD COLUMN people_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_people_version() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE organizations SET people_version = people_version + 1 WHERE id = OLD.org_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE organizations SET people_version = people_version + 1 WHERE id = NEW.org_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER people_version AFTER INSERT OR UPDATE OR DELETE ON permission_log_people
    FOR EACH ROW EXECUTE FUNCTION bump_people_version();
