//! bcrypt computed in slices, so that a hash gives the CPU back while pages are being served.
//!
//! Why: on 2 cores, a busy loop under the idle scheduling policy beside the contract page
//! (`wrk -t1 -c16`) raised the page's p99 from 1.8 to 2.1-3.4 ms, like a burst of
//! wrong-password logins did (3.0-4.0 ms); the same loop working 0.3 ms and sleeping 0.1 ms
//! in turn left it at 1.7 ms (medians of 3-5 alternating rounds; the README's performance
//! section, seventh session). A core that never goes idle does not pull the threads queued on the other
//! one (Linux balances a busy core's queue only on its periodic tick, however low the
//! running task's priority), and a thread that keeps its core also keeps it against another
//! session's thread (a Postgres backend) for a whole scheduler slice. A hash here works a
//! few rounds of its key schedule at a time and, between them, calls `between`, which
//! sleeps a moment while pages are in flight.
//!
//! Only the key schedule (`setup` of the `bcrypt` crate, the part whose rounds grow with
//! the cost) is written here, with the primitives of the `blowfish` crate that `bcrypt`
//! itself uses; the stored form is the crate's (`$2b$`, its base64), parsing of stored
//! hashes is the crate's (`HashParts`), and the tests check every result against the crate.

use std::str::FromStr;

use base64::Engine;
use blowfish::Blowfish;
use rand::RngCore;

/// Rounds of the key schedule between two calls of `between` (a round is ~60 µs on the
/// machines measured, so a slice is ~0.25 ms).
pub const SLICE_ROUNDS: u32 = 4;

/// The costs bcrypt allows.
pub const COSTS: std::ops::RangeInclusive<u32> = 4..=31;

/// bcrypt's own base64 (alphabet `./A-Za-z0-9`, no padding).
const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::BCRYPT,
    base64::engine::general_purpose::NO_PAD,
);

/// The raw bcrypt output (24 bytes, of which the stored form keeps 23) of a password already
/// prepared (at most 72 bytes, not empty), calling `between` every `SLICE_ROUNDS` rounds.
fn raw(cost: u32, salt: &[u8; 16], key: &[u8], between: &mut dyn FnMut()) -> [u8; 24] {
    let mut state = Blowfish::bc_init_state();
    state.salted_expand_key(salt, key);
    for round in 0..1u64 << cost {
        if round % u64::from(SLICE_ROUNDS) == 0 {
            between();
        }
        state.bc_expand_key(key);
        state.bc_expand_key(salt);
    }
    // "OrpheanBeholderScryDoubt", encrypted 64 times.
    let ctext: [u32; 6] = [
        0x4f72_7068,
        0x6561_6e42,
        0x6568_6f6c,
        0x6465_7253,
        0x6372_7944,
        0x6f75_6274,
    ];
    let mut out = [0u8; 24];
    for (pair, chunk) in ctext.chunks_exact(2).zip(out.chunks_exact_mut(8)) {
        let mut lr = [pair[0], pair[1]];
        for _ in 0..64 {
            lr = state.bc_encrypt(lr);
        }
        chunk[..4].copy_from_slice(&lr[0].to_be_bytes());
        chunk[4..].copy_from_slice(&lr[1].to_be_bytes());
    }
    out
}

/// The stored form of `password` with `salt` at `cost`: as the `bcrypt` crate writes it
/// (`$2b$`, the password cut at 72 bytes, a terminating zero byte when it fits).
fn stored(password: &[u8], cost: u32, salt: &[u8; 16], between: &mut dyn FnMut()) -> String {
    let len = password.len().min(72);
    let mut key = [0u8; 72];
    key[..len].copy_from_slice(&password[..len]);
    let used = (len + 1).min(72);
    let out = raw(cost, salt, &key[..used], between);
    key.fill(0);
    format!(
        "$2b${cost:02}${}{}",
        B64.encode(salt),
        B64.encode(&out[..23])
    )
}

/// A new hash of `password` at `cost` with a random salt.
pub fn hash(password: &[u8], cost: u32, between: &mut dyn FnMut()) -> Result<String, String> {
    if !COSTS.contains(&cost) {
        return Err(format!("bcrypt: cost {cost} not allowed"));
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    Ok(stored(password, cost, &salt, between))
}

/// Whether `password` matches the stored hash (any of bcrypt's versions `2a`, `2b`, `2x`,
/// `2y`, read the same as the crate reads them); a malformed hash matches nothing.
pub fn verify(password: &[u8], hash: &str, between: &mut dyn FnMut()) -> bool {
    let Ok(parts) = bcrypt::HashParts::from_str(hash) else {
        return false;
    };
    let cost = parts.get_cost();
    if !COSTS.contains(&cost) {
        return false;
    }
    let mine = stored(password, cost, &parts.get_salt_raw(), between);
    let theirs = parts.format_for_version(bcrypt::Version::TwoB);
    crate::web::middleware::constant_time_eq(mine.as_bytes(), theirs.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> impl FnMut() {
        || {}
    }

    #[test]
    fn writes_what_the_bcrypt_crate_writes() {
        let long = "x".repeat(71) + "é" + &"y".repeat(30);
        let passwords = [
            "",
            "a",
            "bench123!",
            "\u{be44}\u{bc00}\u{bc88}\u{d638}1!", // Korean, 3 bytes a letter
            "\u{30d1}\u{30b9}\u{30ef}\u{30fc}\u{30c9}", // Japanese
            &long,
            &"z".repeat(71),
            &"z".repeat(72),
            &"z".repeat(73),
        ];
        for (i, pw) in passwords.iter().enumerate() {
            let cost = 4 + (i as u32 % 2);
            let salt: [u8; 16] = std::array::from_fn(|k| (k * 17 + i * 5) as u8);
            let theirs = bcrypt::hash_with_salt(pw, cost, salt)
                .map(|p| p.to_string())
                .unwrap_or_default();
            assert_eq!(
                stored(pw.as_bytes(), cost, &salt, &mut none()),
                theirs,
                "{pw:?}"
            );
        }
    }

    #[test]
    fn each_reads_the_others_hashes() {
        let mine = hash(b"Secret12!", 4, &mut none()).unwrap_or_default();
        assert_eq!(mine.len(), 60);
        assert_eq!(bcrypt::verify("Secret12!", &mine).ok(), Some(true));
        assert_eq!(bcrypt::verify("Secret12?", &mine).ok(), Some(false));
        let theirs = bcrypt::hash("Secret12!", 5).unwrap_or_default();
        assert!(verify(b"Secret12!", &theirs, &mut none()));
        assert!(!verify(b"Secret12?", &theirs, &mut none()));
        // The other version prefixes read the same; OpenBSD's test vectors (`2a`).
        assert!(verify(
            b"Secret12!",
            &theirs.replacen("$2b$", "$2y$", 1),
            &mut none()
        ));
        let vector = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
        assert!(verify(b"U*U", vector, &mut none()));
        assert!(!verify(b"U*V", vector, &mut none()));
    }

    #[test]
    fn malformed_hashes_and_costs_match_nothing() {
        for bad in [
            "",
            "$2b$04$short",
            "plain text",
            &"$".repeat(60),
            "$2b$99$Fbr5WMEEwiJc0lhoAS6hHelqlWePlpSdthK/Zy4YGXGcpWZMP.m2q",
        ] {
            assert!(!verify(b"x", bad, &mut none()), "{bad}");
        }
        assert!(hash(b"x", 3, &mut none()).is_err());
        assert!(hash(b"x", 32, &mut none()).is_err());
    }

    #[test]
    fn looks_up_between_slices_of_the_key_schedule() {
        let mut calls = 0u32;
        let h = hash(b"Secret12!", 6, &mut || calls += 1).unwrap_or_default();
        assert_eq!(calls, (1 << 6) / SLICE_ROUNDS);
        assert!(bcrypt::verify("Secret12!", &h).unwrap_or(false));
    }
}
