DROP TABLE permission_logs;
ALTER TABLE org_members DROP COLUMN org_admin_granted_by;
ALTER TABLE org_members DROP COLUMN org_admin_since;
