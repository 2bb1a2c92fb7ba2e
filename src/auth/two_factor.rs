//! Two-factor sign-in (TOTP, RFC 6238) for both realms: secrets encrypted at rest, codes
//! checked within one step of now and never accepted twice, single-use recovery codes
//! stored as hashes. The crates do the cryptography (totp-rs, chacha20poly1305, hkdf,
//! qrcode); this module is the glue and the queries.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

use crate::db::DbConn;
use crate::db::schema::{recovery_codes as rc, two_factor as tf};

/// Seconds a code is valid (the authenticator apps' default).
pub const STEP: u64 = 30;
pub const DIGITS: usize = 6;
/// Recovery codes given at enrollment (and on regeneration).
pub const RECOVERY_CODES: usize = 10;
/// How long the second step of a sign-in may wait for its code.
pub const PENDING_SECONDS: i64 = 300;

/// Encrypts and decrypts TOTP secrets with a key derived from `OC_SECRET_KEY`.
#[derive(Clone)]
pub struct Cipher {
    aead: XChaCha20Poly1305,
}

impl Cipher {
    pub fn new(secret_key: &[u8]) -> Cipher {
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"online-contact"), secret_key);
        let mut key = [0u8; 32];
        if hk.expand(b"totp-secret-v1", &mut key).is_err() {
            // Unreachable (32 bytes is a valid HKDF-SHA256 length); never a zero key.
            use sha2::Digest;
            key = sha2::Sha256::digest([b"totp-secret-v1".as_slice(), secret_key].concat()).into();
        }
        Cipher {
            aead: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// base64(nonce ‖ ciphertext); None only if the cipher refuses (it does not for
    /// a short secret).
    pub fn seal(&self, plain: &[u8]) -> Option<String> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self.aead.encrypt(XNonce::from_slice(&nonce), plain).ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Some(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// None when the text was not sealed with this key.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if raw.len() < 24 {
            return None;
        }
        let (nonce, ct) = raw.split_at(24);
        self.aead.decrypt(XNonce::from_slice(nonce), ct).ok()
    }
}

/// A new secret: 160 random bits (RFC 4226's recommendation).
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 20];
    rand::rng().fill_bytes(&mut s);
    s
}

/// The secret as people type it into an authenticator (base32, no padding).
pub fn base32(secret: &[u8]) -> String {
    match totp_rs::Secret::Raw(secret.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(s) => s,
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP, secret.to_vec()).ok()
}

/// The code of `secret` at `unix` seconds (tests and the enrollment check use it).
pub fn code_at(secret: &[u8], unix: u64) -> String {
    totp(secret).map(|t| t.generate(unix)).unwrap_or_default()
}

/// The time step of `code` if it is the code of the step of `unix` or of the one before
/// or after (clocks drift); None otherwise.
pub fn matching_step(secret: &[u8], code: &str, unix: u64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret)?;
    let now = unix / STEP;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|s| {
            let expected = t.generate(s * STEP);
            crate::web::middleware::constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .map(|s| s as i64)
}

/// The `otpauth://` URL an authenticator reads from the QR code.
pub fn otpauth_url(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // Spaces as %20 (authenticators show a `+` literally).
    let (issuer, account) = (
        enc(issuer).replace('+', "%20"),
        enc(account).replace('+', "%20"),
    );
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret_b32}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP}"
    )
}

/// The QR code of `url` as an inline SVG image (without the XML declaration, which HTML
/// does not allow).
pub fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}

/// Fresh recovery codes, `xxxx-xxxx-xxxx` of lowercase letters and digits without the
/// easily confused ones (60 random bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            format!(
                "{}-{}-{}",
                chars[..4].iter().collect::<String>(),
                chars[4..8].iter().collect::<String>(),
                chars[8..].iter().collect::<String>()
            )
        })
        .collect()
}

/// How a recovery code is stored: the SHA-256 of its letters and digits, lowercased.
pub fn recovery_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    crate::auth::token_hash(&norm)
}

/// An account's two-factor state.
#[derive(Debug, Clone, Queryable)]
pub struct State {
    pub secret_enc: String,
    pub enabled_at: Option<NaiveDateTime>,
    pub last_step: i64,
}

pub fn state(c: &mut DbConn, realm: &str, id: i64) -> QueryResult<Option<State>> {
    tf::table
        .filter(tf::realm.eq(realm))
        .filter(tf::account_id.eq(id))
        .select((tf::secret_enc, tf::enabled_at, tf::last_step))
        .first(c)
        .optional()
}

pub fn is_enabled(c: &mut DbConn, realm: &str, id: i64) -> QueryResult<bool> {
    Ok(state(c, realm, id)?.is_some_and(|s| s.enabled_at.is_some()))
}

/// The secret being enrolled (a new one the first time); None when 2FA is on already.
pub fn enrolling_secret(
    c: &mut DbConn,
    cipher: &Cipher,
    realm: &str,
    id: i64,
) -> QueryResult<Option<Vec<u8>>> {
    match state(c, realm, id)? {
        Some(s) if s.enabled_at.is_some() => Ok(None),
        Some(s) => match cipher.open(&s.secret_enc) {
            Some(secret) => Ok(Some(secret)),
            None => {
                // Sealed with another key (the secret key was changed): start over.
                diesel::delete(
                    tf::table
                        .filter(tf::realm.eq(realm))
                        .filter(tf::account_id.eq(id)),
                )
                .execute(c)?;
                enrolling_secret(c, cipher, realm, id)
            }
        },
        None => {
            let secret = new_secret();
            let sealed = cipher
                .seal(&secret)
                .ok_or(diesel::result::Error::RollbackTransaction)?;
            diesel::insert_into(tf::table)
                .values((
                    tf::realm.eq(realm),
                    tf::account_id.eq(id),
                    tf::secret_enc.eq(sealed),
                    tf::last_step.eq(0_i64),
                ))
                .execute(c)?;
            Ok(Some(secret))
        }
    }
}

/// Turns 2FA on with the step of the confirming code; returns the recovery codes (shown
/// once, stored hashed).
pub fn enable(
    c: &mut DbConn,
    realm: &str,
    id: i64,
    step: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    c.transaction(|c| {
        diesel::update(
            tf::table
                .filter(tf::realm.eq(realm))
                .filter(tf::account_id.eq(id)),
        )
        .set((tf::enabled_at.eq(Some(now)), tf::last_step.eq(step)))
        .execute(c)?;
        replace_recovery_codes(c, realm, id)
    })
}

fn delete_codes(c: &mut DbConn, realm: &str, id: i64) -> QueryResult<usize> {
    diesel::delete(
        rc::table
            .filter(rc::realm.eq(realm))
            .filter(rc::account_id.eq(id)),
    )
    .execute(c)
}

/// New recovery codes; the old ones stop working.
pub fn replace_recovery_codes(c: &mut DbConn, realm: &str, id: i64) -> QueryResult<Vec<String>> {
    let codes = new_recovery_codes();
    c.transaction(|c| {
        delete_codes(c, realm, id)?;
        for code in &codes {
            diesel::insert_into(rc::table)
                .values((
                    rc::realm.eq(realm),
                    rc::account_id.eq(id),
                    rc::code_hash.eq(recovery_hash(code)),
                ))
                .execute(c)?;
        }
        QueryResult::Ok(())
    })?;
    Ok(codes)
}

/// Turns 2FA off: the secret and the recovery codes are deleted.
pub fn disable(c: &mut DbConn, realm: &str, id: i64) -> QueryResult<()> {
    c.transaction(|c| {
        delete_codes(c, realm, id)?;
        diesel::delete(
            tf::table
                .filter(tf::realm.eq(realm))
                .filter(tf::account_id.eq(id)),
        )
        .execute(c)?;
        QueryResult::Ok(())
    })
}

/// Accepts a code of an enabled account once: a TOTP code whose step is later than the
/// last accepted one (the update decides, so two requests with one code cannot both
/// pass), or an unused recovery code (marked used). False for anything else.
pub fn accept_code(
    c: &mut DbConn,
    cipher: &Cipher,
    realm: &str,
    id: i64,
    code: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(s) = state(c, realm, id)? else {
        return Ok(false);
    };
    if s.enabled_at.is_none() {
        return Ok(false);
    }
    let unix = now.and_utc().timestamp().max(0) as u64;
    if let Some(secret) = cipher.open(&s.secret_enc)
        && let Some(step) = matching_step(&secret, code, unix)
    {
        let taken = diesel::update(
            tf::table
                .filter(tf::realm.eq(realm))
                .filter(tf::account_id.eq(id))
                .filter(tf::last_step.lt(step)),
        )
        .set(tf::last_step.eq(step))
        .execute(c)?;
        return Ok(taken == 1);
    }
    let hash = recovery_hash(code);
    if hash == recovery_hash("") {
        return Ok(false);
    }
    let used = diesel::update(
        rc::table
            .filter(rc::realm.eq(realm))
            .filter(rc::account_id.eq(id))
            .filter(rc::code_hash.eq(hash))
            .filter(rc::used_at.is_null()),
    )
    .set(rc::used_at.eq(Some(now)))
    .execute(c)?;
    Ok(used >= 1)
}

/// Recovery codes not used yet.
pub fn recovery_codes_left(c: &mut DbConn, realm: &str, id: i64) -> QueryResult<i64> {
    rc::table
        .filter(rc::realm.eq(realm))
        .filter(rc::account_id.eq(id))
        .filter(rc::used_at.is_null())
        .count()
        .get_result(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_sealed_and_opened_only_with_their_key() {
        let a = Cipher::new(b"key-a-that-is-long-enough-0123456789");
        let b = Cipher::new(b"key-b-that-is-long-enough-0123456789");
        let secret = new_secret();
        let sealed = a.seal(&secret).unwrap();
        assert!(!sealed.contains(&base32(&secret)));
        assert_ne!(
            Some(sealed.clone()),
            a.seal(&secret),
            "a fresh nonce each time"
        );
        assert_eq!(a.open(&sealed), Some(secret));
        assert_eq!(b.open(&sealed), None);
        assert_eq!(a.open("not base64!"), None);
    }

    #[test]
    fn codes_match_within_one_step() {
        // RFC 6238's SHA-1 test secret and vector: 59 s -> 94287082 (8 digits); 6 digits
        // are its last six.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(matching_step(secret, "287082", 59), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 60), None);
        assert_eq!(matching_step(secret, "28708", 59), None);
        assert_eq!(matching_step(secret, "abcdef", 59), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| c.len() == 14));
        let c = &codes[0];
        assert_eq!(
            recovery_hash(c),
            recovery_hash(&c.replace('-', " ").to_uppercase())
        );
    }

    #[test]
    fn otpauth_url_and_qr() {
        let url = otpauth_url("Online Contact", "a b@example.com", "ABC");
        assert!(url.starts_with("otpauth://totp/Online%20Contact:a%20b%40example.com?secret=ABC"));
        let svg = qr_svg(&url);
        assert!(svg.contains("<svg"));
    }
}
