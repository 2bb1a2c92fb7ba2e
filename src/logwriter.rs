//! Where log lines go: a request appends its formatted line to a shared buffer (a short
//! lock, no system call, no thread to wake) and one background thread writes the buffer
//! to stdout every 50 ms, or as soon as it holds 64 KiB. At the ceiling of `/healthz`
//! this keeps `OC_LOG=info` within a few percent of `warn`; tracing-appender's
//! non-blocking writer woke its thread for nearly every line (a futex call per request).
//! Nothing is dropped: past 8 MiB waiting (stdout stalled), writers wait for the flush.

use std::fmt::Write as _;
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

/// `OC_LOG_FORMAT=json`: one JSON object a line (`timestamp`, `level`, the event's fields
/// with its text as `message`, `target`), written straight into the line. The JSON layer of
/// tracing-subscriber builds a map of serde values for every event: at the ceiling of
/// `/healthz` its lines cost 1.9 µs of CPU a request against 0.5 µs for text lines.
/// Spans are not written (the app opens none).
pub struct JsonLines;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for JsonLines
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut w: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        use chrono::{Datelike as _, Timelike as _};
        let meta = event.metadata();
        let now = chrono::Utc::now();
        // Straight into the subscriber's line buffer.
        write!(
            w,
            "{{\"timestamp\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\",\"level\":\"{}\"",
            now.year(),
            now.month(),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.nanosecond() % 1_000_000_000 / 1000,
            meta.level().as_str()
        )?;
        event.record(&mut JsonFields(&mut w));
        w.write_str(",\"target\":")?;
        json_string(&mut w, meta.target());
        w.write_str("}\n")
    }
}

/// Writes an event's fields as `,"name":value`.
struct JsonFields<'a>(&'a mut dyn std::fmt::Write);

impl JsonFields<'_> {
    fn key(&mut self, field: &tracing::field::Field) {
        let _ = self.0.write_char(',');
        json_string(self.0, field.name());
        let _ = self.0.write_char(':');
    }
}

impl tracing::field::Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.key(field);
        json_string(self.0, value);
    }
    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.key(field);
        let _ = write!(self.0, "{value}");
    }
    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.key(field);
        let _ = self.0.write_str(if value { "true" } else { "false" });
    }
    fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(self.0, "{value}");
        } else {
            json_string(self.0, &value.to_string());
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.key(field);
        // Escaped as it is written: no string of its own per field.
        let _ = self.0.write_char('"');
        let _ = write!(Escaped(self.0), "{value:?}");
        let _ = self.0.write_char('"');
    }
}

/// Passes what is written to it on as the inside of a JSON string.
struct Escaped<'a>(&'a mut dyn std::fmt::Write);

impl std::fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

/// `s` as a JSON string.
fn json_string(out: &mut dyn std::fmt::Write, s: &str) {
    let _ = out.write_char('"');
    escape_into(out, s);
    let _ = out.write_char('"');
}

/// `s` escaped for the inside of a JSON string.
fn escape_into(out: &mut dyn std::fmt::Write, s: &str) {
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        let _ = out.write_str(&s[from..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            let _ = out.write_str(esc);
        }
        from = i + 1;
    }
    let _ = out.write_str(&s[from..]);
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
    fn json_lines_are_json_with_every_field() {
        let sink = Sink::default();
        let (w, guard) = to(sink.clone());
        let subscriber = tracing_subscriber::fmt()
            .with_writer(w)
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "request", method = "GET", path = "/a\"b\\c", status = 200u16, us = 17i64, ok = true, "done");
            tracing::warn!(key = "x", ratio = 0.5, error = %"line\nbreak\u{1}", "missing: ü");
        });
        drop(guard);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let (a, b) = (&lines[0], &lines[1]);
        assert_eq!(a["level"], "INFO");
        assert_eq!(a["target"], "request");
        assert_eq!(a["message"], "done");
        assert_eq!(a["method"], "GET");
        assert_eq!(a["path"], "/a\"b\\c");
        assert_eq!(a["status"], 200);
        assert_eq!(a["us"], 17);
        assert_eq!(a["ok"], true);
        assert_eq!(b["level"], "WARN");
        assert_eq!(b["message"], "missing: ü");
        assert_eq!(b["ratio"], 0.5);
        assert_eq!(b["error"], "line\nbreak\u{1}");
        let ts = a["timestamp"].as_str().unwrap_or("");
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.ends_with('Z'),
            "{ts}"
        );
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
