DROP TRIGGER permission_logs_no_delete;
DROP TRIGGER permission_logs_no_update;
DROP INDEX permission_logs_org_service_at;
DROP INDEX permission_logs_org_action_at;
DROP INDEX permission_logs_org_at_search;
CREATE INDEX permission_logs_org_at ON permission_logs (org_id, at, id);
ALTER TABLE permission_logs DROP COLUMN search_text;
DROP TABLE invitations;
DROP TABLE service_members;
