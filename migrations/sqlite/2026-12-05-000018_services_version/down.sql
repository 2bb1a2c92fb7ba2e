DROP TRIGGER contracts_version_delete;
DROP TRIGGER contracts_version_update;
DROP TRIGGER contracts_version_insert;
DROP TRIGGER services_version_delete;
DROP TRIGGER services_version_update;
DROP TRIGGER services_version_insert;
ALTER TABLE organizations DROP COLUMN services_version;
