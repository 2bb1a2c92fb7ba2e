//! Where log lines go: a request appends its formatted line to a shared buffer (a short
//! lock, no system call, no thread to wake) and one background thread writes the buffer
//! to stdout every 50 ms, or as soon as it holds 64 KiB. At the ceiling of `/healthz`
//! this keeps `OC_LOG=info` within a few percent of `warn`; tracing-appender's
//! non-blocking writer woke its thread for nearly every line (a futex call per request).
//! Nothing is dropped: past 8 MiB waiting (stdout stalled), writers wait for the flush.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

const FLUSH_AT: usize = 64 * 1024;
const WAIT_AT: usize = 8 * 1024 * 1024;
const EVERY: Duration = Duration::from_millis(50);

#[derive(Default)]
struct State {
    buf: Vec<u8>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the flusher early (a full buffer, or the end).
    full: Condvar,
    /// Wakes writers that wait for room.
    drained: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain bytes behind: still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `MakeWriter` of the log subscriber.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Flushes what is left and stops the thread when dropped (keep it until `main` returns).
pub struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A writer to `out` and the guard of its background thread.
pub fn to<W: Write + Send + 'static>(out: W) -> (BatchWriter, FlushGuard) {
    let shared = Arc::new(Shared::default());
    let s = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || flush_loop(&s, out))
        .ok();
    (
        BatchWriter {
            shared: shared.clone(),
        },
        FlushGuard { shared, thread },
    )
}

fn flush_loop<W: Write>(s: &Shared, mut out: W) {
    let mut spare = Vec::with_capacity(FLUSH_AT);
    loop {
        let closed = {
            let mut st = s.lock();
            if st.buf.len() < FLUSH_AT && !st.closed {
                st = s
                    .full
                    .wait_timeout(st, EVERY)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
            std::mem::swap(&mut st.buf, &mut spare);
            st.closed
        };
        s.drained.notify_all();
        if !spare.is_empty() {
            // A failed write (stdout closed) loses these lines, never the app.
            let _ = out.write_all(&spare);
            let _ = out.flush();
            spare.clear();
        }
        if closed {
            let rest = std::mem::take(&mut s.lock().buf);
            let _ = out.write_all(&rest);
            let _ = out.flush();
            return;
        }
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.full.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What one log event writes through: a borrow of the shared buffer (no reference count
/// touched per line).
pub struct LineWriter<'a>(&'a Shared);

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let shared = self.0;
        let mut st = shared.lock();
        while st.buf.len() > WAIT_AT && !st.closed {
            st = shared.drained.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.buf.extend_from_slice(line);
        if st.buf.len() >= FLUSH_AT {
            shared.full.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` into shared memory, to see what reached "stdout".
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_from_many_threads_all_arrive_whole_and_the_guard_flushes_the_rest() {
        let sink = Sink::default();
        let (w, guard) = to(sink.clone());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let w = w.clone();
                std::thread::spawn(move || {
                    use tracing_subscriber::fmt::MakeWriter;
                    for i in 0..5000 {
                        w.make_writer()
                            .write_all(format!("thread {t} line {i}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20_000);
        for t in 0..4 {
            let mine: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> = (0..5000).map(|i| format!("thread {t} line {i}")).collect();
            assert_eq!(mine, expected, "in order, none lost");
        }
    }

    #[test]
    fn a_quiet_line_is_written_within_the_interval() {
        let sink = Sink::default();
        let (w, _guard) = to(sink.clone());
        use tracing_subscriber::fmt::MakeWriter;
        w.make_writer().write_all(b"one line\n").unwrap();
        std::thread::sleep(EVERY * 4);
        assert_eq!(sink.0.lock().unwrap().as_slice(), b"one line\n");
    }
}
