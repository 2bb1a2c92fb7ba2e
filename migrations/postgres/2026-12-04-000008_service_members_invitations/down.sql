DROP TRIGGER permission_logs_no_change ON permission_logs;
DROP FUNCTION permission_logs_append_only();
DROP INDEX permission_logs_org_service_at;
DROP INDEX permission_logs_org_action_at;
DROP INDEX permission_logs_org_at_search;
CREATE INDEX permission_logs_org_at ON permission_logs (org_id, at, id);
ALTER TABLE permission_logs DROP COLUMN search_text;
DROP TABLE invitations;
DROP TABLE service_members;
