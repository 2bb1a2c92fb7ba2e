-- Two-factor sign-in (TOTP, RFC 6238) for console members (realm 'console') and org
-- members (realm 'org'). The secret is stored encrypted (XChaCha20-Poly1305 with a key
-- derived from OC_SECRET_KEY); enabled_at is NULL while the member is enrolling;
-- last_step is the time step of the last accepted code (no code is accepted twice).
CREATE TABLE two_factor (
    realm TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    secret_enc TEXT NOT NULL,
    enabled_at TIMESTAMP,
    last_step BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (realm, account_id)
);

-- Single-use recovery codes, stored as their SHA-256 only.
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    realm TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_account ON recovery_codes (realm, account_id, code_hash);

-- The OWNER can require two-factor sign-in of every org member.
ALTER TABLE organizations ADD COLUMN require_2fa BOOLEAN NOT NULL DEFAULT FALSE;
