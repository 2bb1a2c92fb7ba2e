DROP TABLE contracts;
DROP TABLE services;
DROP INDEX organizations_api_key;
ALTER TABLE organizations DROP COLUMN api_key_prefix;
ALTER TABLE organizations DROP COLUMN api_key_hash;
ALTER TABLE organizations DROP COLUMN timezone;
