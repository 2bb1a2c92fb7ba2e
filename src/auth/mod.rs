//! Account security shared by both realms: the product's password rule, random tokens
//! stored only as hashes, bcrypt on the blocking pool behind a semaphore, the sign-in
//! throttle, server-side sessions and the tenant/account lookup of the request context.

pub mod flows;
pub mod helper;
pub mod pages;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod two_factor;
pub mod two_factor_pages;

use std::sync::Arc;

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::web::forms::Msg;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 15;
pub const LOCKOUT_FAILURES: i32 = 5;
pub const LOCKOUT_WINDOW_MIN: i64 = 15;
pub const LOCKOUT_MIN: i64 = 15;
pub const RESET_TOKEN_MINUTES: i64 = 60;
/// Reset mails one account may be sent in an hour.
pub const RESET_MAILS_PER_HOUR: i64 = 5;

/// The product's password rule: 8–15 characters containing letters, digits and special
/// characters (ASCII). Each missing part is named in its own message.
pub fn check_password(pw: &str) -> Vec<Msg> {
    let mut out = Vec::new();
    if pw.is_empty() {
        out.push(Msg::new("password-required"));
        return out;
    }
    let len = pw.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
        out.push(Msg::new("password-length"));
    }
    if pw.chars().any(|c| !c.is_ascii_graphic()) {
        out.push(Msg::new("password-invalid-chars"));
    }
    if !pw.chars().any(|c| c.is_ascii_alphabetic()) {
        out.push(Msg::new("password-needs-letter"));
    }
    if !pw.chars().any(|c| c.is_ascii_digit()) {
        out.push(Msg::new("password-needs-digit"));
    }
    if !pw.chars().any(|c| c.is_ascii_punctuation()) {
        out.push(Msg::new("password-needs-special"));
    }
    out
}

/// A URL-safe random token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Tokens are stored only as their SHA-256; they carry 256 random bits, so a fast hash is
/// enough (no dictionary to guard against).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// bcrypt on its own threads (as many as `threads`), queued first come, first served.
/// Those threads run at a lower priority (nice 10), so a burst of logins takes the CPU the
/// pages leave over rather than the pages' share. `serve` moves the work to a helper
/// process (see `helper`: on Linux a nice value does not reach across processes, such as
/// a Postgres on the same machine); these threads remain the fallback.
#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    /// bcrypt threads, here and in the helper.
    threads: usize,
    queue: std::sync::mpsc::Sender<HashJob>,
    /// A hash of a random password at the configured cost, verified against when the
    /// account does not exist, so unknown accounts take as long as known ones.
    dummy: Arc<String>,
    /// The bcrypt helper process, once `serve` has started it (see `helper`).
    helper: Arc<std::sync::OnceLock<helper::Helper>>,
}

type HashJob = Box<dyn FnOnce() + Send>;

/// Lowers the calling thread's priority (Linux keeps a nice value per thread). A failure
/// only leaves it as it was.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "could not lower the bcrypt thread's priority");
    }
}

/// Starts `threads` threads named `name-N` that run `init` once, then take items off `rx`
/// one at a time and hand each to `handle`, until every sender is gone (the server's
/// bcrypt threads and the helper process's workers).
pub(crate) fn queue_workers<T: Send + 'static>(
    threads: usize,
    name: &str,
    rx: std::sync::mpsc::Receiver<T>,
    init: fn(),
    handle: impl Fn(T) + Send + Sync + 'static,
) -> std::io::Result<Vec<std::thread::JoinHandle<()>>> {
    let rx = Arc::new(std::sync::Mutex::new(rx));
    let handle = Arc::new(handle);
    (0..threads.max(1))
        .map(|i| {
            let (rx, handle) = (rx.clone(), handle.clone());
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    init();
                    loop {
                        let item = match rx.lock().map(|r| r.recv()) {
                            Ok(Ok(item)) => item,
                            _ => return, // every sender is gone
                        };
                        handle(item);
                    }
                })
        })
        .collect()
}

impl Hasher {
    pub fn new(cost: u32, threads: usize) -> Result<Hasher, String> {
        let dummy = bcrypt::hash(random_token(12), cost).map_err(|e| format!("bcrypt: {e}"))?;
        let (queue, jobs) = std::sync::mpsc::channel::<HashJob>();
        queue_workers(threads, "bcrypt", jobs, lower_priority, |job: HashJob| {
            job()
        })
        .map_err(|e| format!("cannot start the bcrypt threads: {e}"))?;
        Ok(Hasher {
            cost,
            threads: threads.max(1),
            queue,
            dummy: Arc::new(dummy),
            helper: Arc::default(),
        })
    }

    /// Hashes in a helper process from now on (`exe bcrypt-helper`, with as many threads
    /// as the server's own); the server's threads stay as the fallback.
    pub fn start_helper(&self, exe: &std::path::Path) -> Result<(), String> {
        let h = helper::Helper::start(exe, self.threads)
            .map_err(|e| format!("cannot start the bcrypt helper: {e}"))?;
        self.helper
            .set(h)
            .map_err(|_| "the bcrypt helper runs already".to_string())
    }

    /// The helper's process id while it runs.
    pub fn helper_pid(&self) -> Option<u32> {
        self.live_helper().and_then(|h| h.pid())
    }

    fn live_helper(&self) -> Option<&helper::Helper> {
        self.helper.get().filter(|h| h.is_alive())
    }

    /// Runs `f` on a bcrypt thread and waits for it without blocking the caller's worker.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(AppError::internal)?;
        rx.await.map_err(AppError::internal)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        if let Some(h) = self.live_helper()
            && let Some(answer) = h.hash(&password, cost).await
        {
            return answer.map_err(AppError::internal);
        }
        self.run(move || bcrypt::hash(password, cost))
            .await?
            .map_err(AppError::internal)
    }

    /// Verifies against `hash`, or against the dummy hash when there is none; a malformed
    /// stored hash counts as a mismatch.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| (*self.dummy).clone());
        if let Some(h) = self.live_helper()
            && let Some(ok) = h.verify(&password, &hash).await
        {
            return Ok(real && ok);
        }
        let ok = self
            .run(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await?;
        Ok(real && ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pw: &str) -> Vec<&'static str> {
        check_password(pw).into_iter().map(|m| m.key).collect()
    }

    #[test]
    fn password_rule_names_each_missing_part() {
        assert!(keys("abcd123!").is_empty());
        assert!(keys("A1!aaaaaaaaaaaa").is_empty()); // 15
        assert_eq!(keys(""), vec!["password-required"]);
        assert_eq!(
            keys("abcdefgh"),
            vec!["password-needs-digit", "password-needs-special"]
        );
        assert_eq!(
            keys("12345678"),
            vec!["password-needs-letter", "password-needs-special"]
        );
        assert_eq!(
            keys("!!!!!!!!"),
            vec!["password-needs-letter", "password-needs-digit"]
        );
        assert_eq!(keys("ab1!"), vec!["password-length"]);
        assert_eq!(keys("A1!aaaaaaaaaaaaa"), vec!["password-length"]); // 16
        assert!(keys("\u{be44}\u{bc00}\u{bc88}\u{d638}abc1!").contains(&"password-invalid-chars"));
        assert!(keys("abc 123!x").contains(&"password-invalid-chars"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
