//! Account security shared by both realms: the product's password rule, random tokens
//! stored only as hashes, bcrypt on threads of its own at the idle priority, the sign-in
//! throttle, server-side sessions and the tenant/account lookup of the request context.

pub mod flows;
pub mod paced;
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
///
/// A hash runs under Linux's idle scheduling policy (`SCHED_IDLE`): it gets the CPU
/// that the pages, and a Postgres on the same machine, leave over, and a page's thread (or a
/// database backend) that wakes up takes the core from them at once. Measured on 2 cores
/// with a burst of wrong-password logins at cost 12 (`scripts/bench`, the burst rows): the
/// p99 of `/` on Postgres went from 4-14 times its idle p99 (bcrypt in a helper process at
/// the lowest autogroup weight, the previous design) to 1.5-2.8 times, and the contract
/// page's on SQLite from 1.8-2.4 to 1.2-1.8 times. A nice value is not enough: Linux shares
/// the CPU fairly between sessions' autogroups whatever a thread's nice value, and a
/// process of its own at the lowest weight still delayed every wake-up of the pages. The
/// price: while the pages keep every core busy, a sign-in waits for a pause (logins in
/// the burst went from ~1.4 to ~1.1 a second). So that it cannot wait for ever, a caller
/// whose hash has run `floor_after` without an answer has the bcrypt threads lifted to the
/// normal policy at nice 19 (a small share, never nothing). Between jobs the threads are
/// at that nice 19 too, so a new job is picked up soon; each job starts under the idle
/// policy again.
///
/// The idle policy alone left the pages' p99 at about twice idle during a burst (a core
/// kept busy, even by an idle-policy task, does not pull the threads queued on the other
/// one; see `paced`), so a hash is also computed in slices of ~0.3 ms with a pause of
/// `PAUSE` between them while other requests are in flight: on 2 cores the contract page's
/// p99 during the burst went from 1.6-1.9 times idle to 0.6-1.2 on SQLite, from 1.2-7.9 to
/// 0.8-2.1 on Postgres (`/` there from 1.7-11.7 to 0.7-2.5), alternating rounds of both
/// builds; sign-ins during the burst went from ~1.1 to ~1.0 a second. An idle server hashes
/// without a pause.
#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    queue: std::sync::mpsc::Sender<HashJob>,
    /// A hash of a random password at the configured cost, verified against when the
    /// account does not exist, so unknown accounts take as long as known ones.
    dummy: Arc<String>,
    /// Asks the lifting thread to lift the bcrypt threads (see above).
    lift: std::sync::mpsc::Sender<()>,
    floor_after: std::time::Duration,
    /// The bcrypt threads' kernel ids.
    threads: Arc<Vec<i32>>,
    /// Callers waiting for a hash (queued or running), which are requests in flight too.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// Pauses made between slices of hashes so far.
    paused: Arc<std::sync::atomic::AtomicU64>,
}

/// A bcrypt thread: its ids for the lifting thread and for `/proc`.
#[derive(Clone, Copy)]
struct Thread {
    #[cfg(target_os = "linux")]
    native: thread_priority::ThreadId,
    tid: i32,
}

impl Thread {
    fn current() -> Thread {
        Thread {
            #[cfg(target_os = "linux")]
            native: thread_priority::thread_native_id(),
            tid: rustix::thread::gettid().as_raw_nonzero().get(),
        }
    }

    /// Puts the thread under the normal policy at nice 19 (the crate sets the nice value of
    /// the calling thread: the thread itself, or the lifting thread, whose nice value does
    /// not matter).
    fn lift(&self) {
        #[cfg(target_os = "linux")]
        {
            use thread_priority::{
                NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
                set_thread_priority_and_policy,
            };
            if let Err(e) = set_thread_priority_and_policy(
                self.native,
                ThreadPriority::Min,
                ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
            ) {
                tracing::debug!(error = ?e, "could not lift a bcrypt thread");
            }
        }
    }
}

/// How long a hash waits at the idle policy before the bcrypt threads are lifted.
pub const FLOOR_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a hash sleeps between two slices while pages are being served (`paced`: the
/// core goes idle, so the kernel moves a queued page thread onto it at once).
pub const PAUSE: std::time::Duration = std::time::Duration::from_micros(100);

/// A job on a bcrypt thread, given what to call between slices of its hash.
type HashJob = Box<dyn FnOnce(&mut dyn FnMut()) + Send>;

/// Whether pages are being served: more requests in flight than those waiting for a hash
/// (the sign-ins themselves, which are requests in flight too).
fn pages_in_flight(in_flight: usize, waiting: usize) -> bool {
    in_flight > waiting
}

/// What a bcrypt thread calls between slices of a hash: a short sleep while pages are
/// being served, counted in `paused`.
fn pause_for_pages(
    waiting: &std::sync::atomic::AtomicUsize,
    paused: &std::sync::atomic::AtomicU64,
) {
    use std::sync::atomic::Ordering::Relaxed;
    if pages_in_flight(
        crate::web::middleware::requests_in_flight(),
        waiting.load(Relaxed),
    ) {
        paused.fetch_add(1, Relaxed);
        std::thread::sleep(PAUSE);
    }
}

/// Puts the calling thread under the idle scheduling policy (Linux keeps one per thread)
/// at nice 19 (what it keeps when lifted), or, where the policy is refused, at nice 19
/// only. A failure only leaves it as it was.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        if let Err(e) = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        ) {
            tracing::debug!(error = ?e, "no idle policy for the bcrypt thread");
        }
        if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19) {
            tracing::debug!(error = %e, "could not lower the bcrypt thread's priority");
        }
    }
}

impl Hasher {
    pub fn new(cost: u32, threads: usize) -> Result<Hasher, String> {
        Hasher::with_floor(cost, threads, FLOOR_AFTER)
    }

    /// `new` with another wait before the threads are lifted.
    pub fn with_floor(
        cost: u32,
        threads: usize,
        floor_after: std::time::Duration,
    ) -> Result<Hasher, String> {
        let dummy = bcrypt::hash(random_token(12), cost).map_err(|e| format!("bcrypt: {e}"))?;
        let (queue, jobs) = std::sync::mpsc::channel::<HashJob>();
        let jobs = Arc::new(std::sync::Mutex::new(jobs));
        let (ids_tx, ids) = std::sync::mpsc::channel();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .map(|_| ())
                .map_err(|e| format!("cannot start the bcrypt threads: {e}"))
        };
        let threads = threads.max(1);
        let waiting = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let paused = Arc::new(std::sync::atomic::AtomicU64::new(0));
        for i in 0..threads {
            let (jobs, ids_tx) = (jobs.clone(), ids_tx.clone());
            let (waits, pauses) = (waiting.clone(), paused.clone());
            spawn(
                format!("bcrypt-{i}"),
                Box::new(move || {
                    // Between jobs at nice 19, so that a new job is picked up soon; each
                    // job under the idle policy.
                    let me = Thread::current();
                    me.lift();
                    let _ = ids_tx.send(me);
                    // Until every sender (every clone of the Hasher) is gone.
                    while let Ok(Ok(job)) = jobs.lock().map(|j| j.recv()) {
                        lower_priority();
                        job(&mut || pause_for_pages(&waits, &pauses));
                        me.lift();
                    }
                }),
            )?;
        }
        // Each thread says who it is once it runs.
        let started: Vec<Thread> = ids.iter().take(threads).collect();
        let tids = Arc::new(started.iter().map(|t| t.tid).collect());
        let (lift_tx, lift_rx) = std::sync::mpsc::channel::<()>();
        spawn(
            "bcryptlift".into(),
            Box::new(move || {
                while lift_rx.recv().is_ok() {
                    while lift_rx.try_recv().is_ok() {} // one lift for many callers
                    started.iter().for_each(Thread::lift);
                }
            }),
        )?;
        Ok(Hasher {
            cost,
            queue,
            dummy: Arc::new(dummy),
            lift: lift_tx,
            floor_after,
            threads: tids,
            waiting,
            paused,
        })
    }

    /// The bcrypt threads' kernel ids (to read their scheduling in `/proc`).
    pub fn thread_ids(&self) -> &[i32] {
        &self.threads
    }

    /// Pauses the hashes have made for the pages so far.
    pub fn pauses(&self) -> u64 {
        self.paused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `f` on a bcrypt thread and waits for it without blocking the caller's worker.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn FnMut()) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _waiting = crate::web::middleware::Counted::enter(&self.waiting);
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        self.queue
            .send(Box::new(move |between: &mut dyn FnMut()| {
                let _ = started_tx.send(());
                let _ = tx.send(f(between));
            }))
            .map_err(AppError::internal)?;
        // Waiting behind other hashes is not starving: the wait counts from this job's start.
        let _ = started.await;
        if let Ok(answer) = tokio::time::timeout(self.floor_after, &mut rx).await {
            return answer.map_err(AppError::internal);
        }
        let _ = self.lift.send(());
        rx.await.map_err(AppError::internal)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(move |between| paced::hash(password.as_bytes(), cost, between))
            .await?
            .map_err(AppError::internal)
    }

    /// Verifies against `hash`, or against the dummy hash when there is none; a malformed
    /// stored hash counts as a mismatch.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| (*self.dummy).clone());
        let ok = self
            .run(move |between| paced::verify(password.as_bytes(), &hash, between))
            .await?;
        Ok(real && ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_only_for_requests_other_than_the_sign_ins() {
        assert!(!pages_in_flight(0, 0));
        assert!(
            !pages_in_flight(3, 3),
            "only sign-ins waiting for their hash"
        );
        assert!(pages_in_flight(4, 3));
        assert!(pages_in_flight(1, 0));
    }

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
