DROP INDEX permission_logs_org_target_at;
DROP INDEX permission_logs_org_actor_at;
ALTER TABLE permission_logs DROP COLUMN target_ref;
ALTER TABLE permission_logs DROP COLUMN actor_ref;
DROP TABLE permission_log_people;
