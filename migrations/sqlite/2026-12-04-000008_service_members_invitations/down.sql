DROP TRIGGER permission_logs_no_delete;
DROP TRIGGER permission_logs_no_update;
DROP INDEX permission_logs_org_service_at;
DROP INDEX permission_logs_org_action_at;
DROP TABLE invitations;
DROP TABLE service_members;
