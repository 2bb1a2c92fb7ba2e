//! bcrypt in a helper process of its own (`online-contact bcrypt-helper`, started by
//! `serve`).
//!
//! Why a process: Linux puts each session's processes in one scheduling "autogroup" and
//! shares the CPU fairly between groups, whatever the threads' nice values. bcrypt threads
//! inside the server (nice 10) still took ~75 % of a core from a Postgres on the same
//! machine during a burst of wrong-password logins; its backends waited up to 290 ms to
//! run (`perf sched latency`) and pages stalled for up to two seconds. The helper starts a
//! session of its own (a new autogroup) and gives that group the lowest weight (autogroup
//! nice 19), so bcrypt gets what the pages and the database leave.
//!
//! One line per message over the helper's stdin and stdout, fields hex-encoded:
//! `<id> H <cost> <password>` → `<id> H <hash>` or `<id> E`;
//! `<id> V <hash> <password>` → `<id> V 1` or `<id> V 0`.
//! If the helper is gone, the server hashes on its own threads again.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How long a caller waits for the helper before hashing on the server's threads.
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

type Pending = Arc<Mutex<HashMap<u64, tokio::sync::oneshot::Sender<String>>>>;

/// The server's end of a running helper.
pub struct Helper {
    stdin: Mutex<ChildStdin>,
    pending: Pending,
    next: AtomicU64,
    alive: Arc<AtomicBool>,
    child: Mutex<Child>,
}

impl Helper {
    /// Starts `exe bcrypt-helper --threads N`.
    pub fn start(exe: &std::path::Path, threads: usize) -> std::io::Result<Helper> {
        let mut child = Command::new(exe)
            .arg("bcrypt-helper")
            .arg("--threads")
            .arg(threads.max(1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let missing = || std::io::Error::other("the helper's pipes are missing");
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let pending: Pending = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let (p, a) = (pending.clone(), alive.clone());
        std::thread::Builder::new()
            .name("bcrypt-answers".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let Some((id, rest)) = line.split_once(' ') else {
                        continue;
                    };
                    let waiting = id
                        .parse::<u64>()
                        .ok()
                        .and_then(|id| p.lock().ok().and_then(|mut m| m.remove(&id)));
                    if let Some(tx) = waiting {
                        let _ = tx.send(rest.to_string());
                    }
                }
                // Gone: every caller still waiting falls back to the server's threads.
                a.store(false, Ordering::SeqCst);
                if let Ok(mut m) = p.lock() {
                    m.clear();
                }
                tracing::warn!("the bcrypt helper stopped; hashing on the server's threads");
            })?;
        Ok(Helper {
            stdin: Mutex::new(stdin),
            pending,
            next: AtomicU64::new(1),
            alive,
            child: Mutex::new(child),
        })
    }

    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.lock().ok().map(|c| c.id())
    }

    /// Sends one request; `None` when the helper is gone (or goes) before answering.
    async fn call(&self, request: String) -> Option<String> {
        if !self.is_alive() {
            return None;
        }
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pending.lock().ok()?.insert(id, tx);
        let sent = self.stdin.lock().ok().and_then(|mut w| {
            w.write_all(format!("{id} {request}\n").as_bytes())
                .and_then(|_| w.flush())
                .ok()
        });
        if sent.is_none() {
            self.alive.store(false, Ordering::SeqCst);
            if let Ok(mut m) = self.pending.lock() {
                m.remove(&id);
            }
            return None;
        }
        // A helper that stops answering (it should not) is not waited on for ever.
        match tokio::time::timeout(ANSWER_WITHIN, rx).await {
            Ok(answer) => answer.ok(),
            Err(_) => {
                if let Ok(mut m) = self.pending.lock() {
                    m.remove(&id);
                }
                tracing::warn!("the bcrypt helper did not answer in time");
                None
            }
        }
    }

    /// A bcrypt hash of `password` at `cost`: `None` if the helper could not answer,
    /// `Some(Err)` if bcrypt refused.
    pub async fn hash(&self, password: &str, cost: u32) -> Option<Result<String, String>> {
        let answer = self
            .call(format!("H {cost} {}", hex::encode(password)))
            .await?;
        Some(match answer.strip_prefix("H ") {
            Some(h) => hex::decode(h)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| "the helper's hash is not text".to_string()),
            None => Err("bcrypt refused the password".to_string()),
        })
    }

    /// Whether `password` matches `hash`: `None` if the helper could not answer.
    pub async fn verify(&self, password: &str, hash: &str) -> Option<bool> {
        let answer = self
            .call(format!("V {} {}", hex::encode(hash), hex::encode(password)))
            .await?;
        Some(answer == "V 1")
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The helper process: a session (and autogroup) of its own at the lowest weight, then
/// requests from stdin answered on `threads` threads until stdin closes.
pub fn serve_stdio(threads: usize) -> std::process::ExitCode {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::setsid();
        // A missing or read-only file (autogroups off, another kernel) leaves the weight.
        let _ = std::fs::write("/proc/self/autogroup", "19");
        let _ = rustix::process::setpriority_process(None, 19);
    }
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let out = Mutex::new(std::io::stdout());
    let workers = match super::queue_workers(
        threads,
        "bcrypt",
        rx,
        || {},
        move |line: String| {
            if let (Some(answer), Ok(mut o)) = (answer(&line), out.lock()) {
                let _ = o.write_all(answer.as_bytes()).and_then(|_| o.flush());
            }
        },
    ) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("bcrypt helper: cannot start its threads: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if tx.send(line).is_err() {
            break;
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.join();
    }
    std::process::ExitCode::SUCCESS
}

/// The answer line to one request line (`None` for a line that is not a request).
fn answer(line: &str) -> Option<String> {
    let mut parts = line.split(' ');
    let id = parts.next()?.parse::<u64>().ok()?;
    let text = |h: &str| hex::decode(h).ok().and_then(|b| String::from_utf8(b).ok());
    match (parts.next()?, parts.next()?, parts.next()?) {
        ("H", cost, pw) => {
            let hashed = cost
                .parse::<u32>()
                .ok()
                .zip(text(pw))
                .and_then(|(cost, pw)| bcrypt::hash(pw, cost).ok());
            Some(match hashed {
                Some(h) => format!("{id} H {}\n", hex::encode(h)),
                None => format!("{id} E\n"),
            })
        }
        ("V", hash, pw) => {
            let ok = text(hash)
                .zip(text(pw))
                .is_some_and(|(hash, pw)| bcrypt::verify(pw, &hash).unwrap_or(false));
            Some(format!("{id} V {}\n", u8::from(ok)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::answer;

    #[test]
    fn requests_are_answered_line_by_line() {
        let h = answer(&format!("7 H 4 {}", hex::encode("pw-1!"))).unwrap_or_default();
        let hash = hex::decode(h.trim().strip_prefix("7 H ").unwrap_or_default())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        assert!(bcrypt::verify("pw-1!", &hash).unwrap_or(false));
        let yes = format!("8 V {} {}", hex::encode(&hash), hex::encode("pw-1!"));
        assert_eq!(answer(&yes).as_deref(), Some("8 V 1\n"));
        let no = format!("9 V {} {}", hex::encode(&hash), hex::encode("wrong"));
        assert_eq!(answer(&no).as_deref(), Some("9 V 0\n"));
        assert_eq!(answer("x H 4 00"), None);
        assert_eq!(answer("3 H nope 00").as_deref(), Some("3 E\n"));
    }
}
