ALTER TABLE organizations DROP COLUMN require_2fa;
DROP TABLE recovery_codes;
DROP TABLE two_factor;
