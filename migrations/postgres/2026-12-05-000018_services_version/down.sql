DROP TRIGGER service_members_version ON service_members;
DROP TRIGGER contracts_version ON contracts;
DROP TRIGGER services_version ON services;
DROP FUNCTION bump_services_version();
ALTER TABLE organizations DROP COLUMN services_version;
