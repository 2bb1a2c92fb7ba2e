DROP TRIGGER people_version_delete;
DROP TRIGGER people_version_update;
DROP TRIGGER people_version_insert;
ALTER TABLE organizations DROP COLUMN people_version;
