ALTER TABLE console_members ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE console_members ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE console_members ADD COLUMN failed_window_start TIMESTAMP;
ALTER TABLE console_members ADD COLUMN locked_until TIMESTAMP;
ALTER TABLE org_members ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE org_members ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE org_members ADD COLUMN failed_window_start TIMESTAMP;
ALTER TABLE org_members ADD COLUMN locked_until TIMESTAMP;
