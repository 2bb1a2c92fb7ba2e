//! A per-client throttle for the endpoints that cost a password hash or send mail (sign-in,
//! forgot password, sign-up): at most `per_minute` requests per client address and minute,
//! answered 429 beyond that *before* any bcrypt work. Counted in memory, per app instance;
//! the per-account throttle (`auth::throttle`) is the one shared through the database.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Fixed one-minute windows per address.
pub struct ClientThrottle {
    per_minute: u32,
    counts: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

/// How many addresses are remembered before old windows are dropped.
const PRUNE_AT: usize = 10_000;

impl ClientThrottle {
    pub fn new(per_minute: u32) -> ClientThrottle {
        ClientThrottle {
            per_minute,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `ip` in minute `minute`; false when it is over the limit.
    pub fn allow(&self, ip: IpAddr, minute: i64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let Ok(mut map) = self.counts.lock() else {
            return true; // a panicked holder: fail open rather than lock everybody out
        };
        if map.len() >= PRUNE_AT {
            map.retain(|_, (m, _)| *m == minute);
        }
        let entry = map.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

/// The paths (POST) the client throttle covers, in both realms.
pub fn is_throttled_path(path: &str) -> bool {
    matches!(path, "/login" | "/password/forgot" | "/signup")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_per_minute() {
        let t = ClientThrottle::new(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(t.allow(a, 100) && t.allow(a, 100) && t.allow(a, 100));
        assert!(!t.allow(a, 100));
        assert!(t.allow(b, 100), "another address has its own count");
        assert!(t.allow(a, 101), "a new minute starts afresh");
        let off = ClientThrottle::new(0);
        assert!((0..100).all(|_| off.allow(a, 1)));
    }
}
