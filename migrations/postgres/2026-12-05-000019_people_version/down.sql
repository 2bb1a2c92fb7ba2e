DROP TRIGGER people_version ON permission_log_people;
DROP FUNCTION bump_people_version();
ALTER TABLE organizations DROP COLUMN people_version;
