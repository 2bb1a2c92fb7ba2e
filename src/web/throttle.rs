//! A per-client throttle for the endpoints that cost a password hash or send mail (sign-in,
//! forgot password, sign-up): at most `per_minute` requests per client address in any minute,
//! answered 429 beyond that *before* any bcrypt work. Counted in memory, per app instance;
//! the per-account throttle (`auth::throttle`) is the one shared through the database.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

/// A sliding minute per address: at most `per_minute` requests allowed in any 60 seconds.
/// (Fixed calendar minutes let a client make twice the limit across a minute's end, and
/// made the limit depend on where in its minute a burst began.)
pub struct ClientThrottle {
    per_minute: u32,
    /// The times (milliseconds) of each address's allowed requests of the last minute,
    /// oldest first; refused requests are not recorded.
    allowed: Mutex<HashMap<IpAddr, VecDeque<i64>>>,
    /// The throttle's own clock (monotonic: a wall clock set back would hold old times as
    /// recent).
    started: std::time::Instant,
}

/// How many addresses are remembered before those with nothing in the last minute are
/// dropped.
const PRUNE_AT: usize = 10_000;
const MINUTE_MS: i64 = 60_000;

impl ClientThrottle {
    pub fn new(per_minute: u32) -> ClientThrottle {
        ClientThrottle {
            per_minute,
            allowed: Mutex::new(HashMap::new()),
            started: std::time::Instant::now(),
        }
    }

    /// `allow` at this moment.
    pub fn allow_now(&self, ip: IpAddr) -> bool {
        let now_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.allow(ip, now_ms)
    }

    /// Counts one request of `ip` at `now_ms` (milliseconds); false when `ip` already made
    /// `per_minute` allowed requests in the 60 seconds before.
    pub fn allow(&self, ip: IpAddr, now_ms: i64) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let Ok(mut map) = self.allowed.lock() else {
            return true; // a panicked holder: fail open rather than lock everybody out
        };
        let since = now_ms - MINUTE_MS;
        if map.len() >= PRUNE_AT {
            map.retain(|_, times| times.back().is_some_and(|t| *t > since));
        }
        let times = map.entry(ip).or_default();
        while times.front().is_some_and(|t| *t <= since) {
            times.pop_front();
        }
        if times.len() >= self.per_minute as usize {
            return false;
        }
        times.push_back(now_ms);
        true
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
    fn limits_each_address_per_sliding_minute() {
        let t = ClientThrottle::new(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        // Three allowed at 0 s, 20 s and 59 s; a fourth within the minute is refused.
        assert!(t.allow(a, 0) && t.allow(a, 20_000) && t.allow(a, 59_000));
        assert!(!t.allow(a, 59_500));
        assert!(t.allow(b, 59_500), "another address has its own count");
        // At 60 s the first has left the minute: one more, not three.
        assert!(t.allow(a, 60_000));
        assert!(!t.allow(a, 61_000));
        // Refused requests are not counted: at 80 s the one of 20 s has left.
        assert!(t.allow(a, 80_000));
        assert!(!t.allow(a, 80_001));
        let off = ClientThrottle::new(0);
        assert!((0..100).all(|_| off.allow(a, 1)));
    }
}
