-- Sessions live in the `sessions` table and sign-in failures in `login_throttle`: the
-- session epoch and the per-account counters have nothing left to do.
ALTER TABLE console_members DROP COLUMN session_epoch;
ALTER TABLE console_members DROP COLUMN failed_logins;
ALTER TABLE console_members DROP COLUMN failed_window_start;
ALTER TABLE console_members DROP COLUMN locked_until;
ALTER TABLE org_members DROP COLUMN session_epoch;
ALTER TABLE org_members DROP COLUMN failed_logins;
ALTER TABLE org_members DROP COLUMN failed_window_start;
ALTER TABLE org_members DROP COLUMN locked_until;
