//! The app on a real port, and a small blocking HTTP/1.1 client for driving it from many
//! threads at once (real parallelism: each thread its own connection, the server its own
//! worker threads). The client keeps cookies and the latest CSRF token like a browser.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use actix_web::web::Data;
use online_contact::{AppState, app};

use super::Resp;

/// Serves `state` on a free port of 127.0.0.1 in its own thread and actix system (two
/// workers); with `jobs`, that instance's jobs runner polls too, delivering mail as files
/// into `outbox`. Returns the port.
pub fn serve(state: Data<AppState>, jobs: Option<std::path::PathBuf>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            if let Some(dir) = jobs {
                std::fs::create_dir_all(&dir).unwrap();
                let t = std::sync::Arc::new(online_contact::mail::Transport::File(dir));
                let reg = online_contact::jobs_registry(&state, t);
                actix_web::rt::spawn(online_contact::jobs::run_forever(
                    state.pool.clone(),
                    reg,
                    std::time::Duration::from_millis(100),
                ));
            }
            let s = state.clone();
            actix_web::HttpServer::new(move || app(s.clone()))
                .workers(2)
                .listen(listener)
                .unwrap()
                .run()
                .await
        })
    });
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    port
}

/// A blocking client of one served instance, for one virtual host.
#[derive(Clone)]
pub struct Http {
    pub port: u16,
    /// The `Host` header (e.g. `acme.localhost:8080`): which realm and tenant.
    pub host: String,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
}

impl Http {
    pub fn new(port: u16, host: &str) -> Http {
        Http {
            port,
            host: host.to_string(),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    /// The same browser, talking to another instance.
    pub fn on(&self, port: u16) -> Http {
        Http {
            port,
            ..self.clone()
        }
    }

    pub fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, None)
    }

    /// Posts a form with the latest CSRF token added.
    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("_csrf", &token));
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.request(
            "POST",
            path,
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<(&str, Vec<u8>)>) -> Resp {
        self.request_with_headers(method, path, &[], body)
    }

    /// A request with extra headers (an API key, say).
    pub fn request_with_headers(
        &mut self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: oc-test/1.0\r\n",
            self.host
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        let payload = match body {
            Some((ctype, bytes)) => {
                head.push_str(&format!(
                    "Content-Type: {ctype}\r\nContent-Length: {}\r\n",
                    bytes.len()
                ));
                bytes
            }
            None => Vec::new(),
        };
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&payload).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        if headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
        }) {
            body = dechunk(&body);
        }
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let first = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = first.split_once('=') {
                    let gone = value.is_empty() || v.to_ascii_lowercase().contains("max-age=0");
                    if gone {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        let bytes = body;
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(t) = super::csrf_in(&body) {
            self.csrf = Some(t);
        }
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = i + 2;
        out.extend_from_slice(&b[start..start + size]);
        b = &b[start + size + 2..];
    }
    out
}
