//! Typed configuration from `OC_*` environment variables, validated once at start-up and
//! passed to the app as data (no globals). A bad value stops start-up with one line that
//! names the variable.

use std::path::PathBuf;

use crate::db::DbUrl;

#[derive(Clone)]
pub struct Config {
    pub database_url: DbUrl,
    pub bind: String,
    pub base_url: BaseUrl,
    /// Secret bytes for the session cookie key (at least 32).
    pub secret_key: Vec<u8>,
    pub smtp_url: Option<String>,
    pub mail_from: lettre::message::Mailbox,
    pub bcrypt_cost: u32,
    pub session_idle: chrono::Duration,
    pub session_absolute: chrono::Duration,
    pub data_dir: PathBuf,
    pub outbox_dir: PathBuf,
    /// Run the background mail worker (off in tests, which deliver explicitly).
    pub mail_worker: bool,
    /// Sign-in, forgot-password and sign-up requests one client address may make per
    /// minute (`OC_THROTTLE_PER_MINUTE`; 0 turns the throttle off).
    pub throttle_per_minute: u32,
    /// The price book in force (`OC_PRICING_FILE`, else the embedded `pricing.toml`).
    pub pricing: std::sync::Arc<crate::pricing::PriceBook>,
}

impl std::fmt::Debug for Config {
    // Never print the secret key or SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &redact_url(&format!("{:?}", self.database_url)),
            )
            .field("bind", &self.bind)
            .field("base_url", &self.base_url.origin())
            .field("smtp", &self.smtp_url.as_ref().map(|u| redact_url(u)))
            .field("bcrypt_cost", &self.bcrypt_cost)
            .finish_non_exhaustive()
    }
}

/// Hides a `user:password@` part of a URL.
pub fn redact_url(u: &str) -> String {
    match (u.find("://"), u.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &u[..s], &u[at + 1..]),
        _ => u.to_string(),
    }
}

/// The public base URL of the console, e.g. `http://localhost:8080`. Workspaces live on
/// `{domain}.{host}` of the same scheme and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub scheme: String,
    /// Host name, lower case, without port.
    pub host: String,
    pub port: Option<u16>,
    /// `.{authority}`: what a workspace's `Host` ends with (kept, so that telling a
    /// workspace request from a console one, twice a request by the route guards, builds no
    /// string).
    suffix: String,
}

impl BaseUrl {
    pub fn parse(s: &str) -> Result<BaseUrl, String> {
        let u = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {e}"))?;
        let scheme = u.scheme().to_string();
        if scheme != "http" && scheme != "https" {
            return Err("scheme must be http or https".into());
        }
        let host = u.host_str().ok_or("no host")?.to_ascii_lowercase();
        if u.path() != "/" && !u.path().is_empty() {
            return Err("must not have a path".into());
        }
        let port = u.port();
        let suffix = match port {
            Some(p) => format!(".{host}:{p}"),
            None => format!(".{host}"),
        };
        Ok(BaseUrl {
            scheme,
            host,
            port,
            suffix,
        })
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// `host[:port]` as it appears in a Host header.
    pub fn authority(&self) -> &str {
        self.suffix.strip_prefix('.').unwrap_or(&self.suffix)
    }

    /// `.{authority}`: what a workspace's `Host` ends with.
    pub fn workspace_suffix(&self) -> &str {
        &self.suffix
    }

    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }

    /// The workspace domain of a `Host` header value of the form `{domain}.{authority}`.
    pub fn workspace_domain(&self, host: &str) -> Option<String> {
        self.workspace_label(host).map(|d| d.to_ascii_lowercase())
    }

    /// `workspace_domain` as the `Host` writes it (any case), without allocating.
    pub fn workspace_label<'h>(&self, host: &'h str) -> Option<&'h str> {
        let host = host.trim();
        let cut = host.len().checked_sub(self.suffix.len())?;
        let (domain, tail) = (host.get(..cut)?, host.get(cut..)?);
        (tail.eq_ignore_ascii_case(&self.suffix) && !domain.is_empty() && !domain.contains('.'))
            .then_some(domain)
    }

    /// `{scheme}://{domain}.{host}[:port]`.
    pub fn workspace_origin(&self, domain: &str) -> String {
        format!("{}://{domain}.{}", self.scheme, self.authority())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {msg}")]
pub struct ConfigError {
    pub var: &'static str,
    pub msg: String,
}

fn bad(var: &'static str, msg: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        msg: msg.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads configuration through `get` (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(var("OC_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let default_db = format!("sqlite://{}/online-contact.db", data_dir.display());
        let database_url = DbUrl::parse(&var("OC_DATABASE_URL").unwrap_or(default_db))
            .map_err(|m| bad("OC_DATABASE_URL", m))?;

        let bind = var("OC_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(bad(
                "OC_BIND",
                format!("'{bind}' is not an address like 127.0.0.1:8080"),
            ));
        }

        let base_url =
            BaseUrl::parse(&var("OC_BASE_URL").unwrap_or_else(|| "http://localhost:8080".into()))
                .map_err(|m| bad("OC_BASE_URL", m))?;

        let secret_key = match var("OC_SECRET_KEY") {
            Some(k) if k.len() >= 32 => k.into_bytes(),
            Some(_) => return Err(bad("OC_SECRET_KEY", "must be at least 32 characters")),
            None => load_or_create_secret(&data_dir).map_err(|m| bad("OC_SECRET_KEY", m))?,
        };

        let smtp_url = var("OC_SMTP_URL");
        if let Some(u) = &smtp_url
            && let Err(e) = lettre::SmtpTransport::from_url(u)
        {
            return Err(bad("OC_SMTP_URL", format!("{} ({e})", redact_url(u))));
        }

        let mail_from = var("OC_MAIL_FROM")
            .unwrap_or_else(|| "Online Contact <no-reply@localhost>".into())
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| bad("OC_MAIL_FROM", format!("not a mail address: {e}")))?;

        let bcrypt_cost = parse_num(&var, "OC_BCRYPT_COST", 12, 4, 31)?;
        let idle = parse_num(&var, "OC_SESSION_IDLE_MINUTES", 60, 1, 7 * 24 * 60)?;
        let absolute = parse_num(&var, "OC_SESSION_MAX_HOURS", 12, 1, 24 * 30)?;

        let throttle_per_minute = parse_num(&var, "OC_THROTTLE_PER_MINUTE", 30, 0, 1_000_000)?;

        let pricing_src = match var("OC_PRICING_FILE") {
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|e| bad("OC_PRICING_FILE", format!("{path}: {e}")))?,
            None => crate::pricing::DEFAULT.to_string(),
        };
        let pricing = crate::pricing::PriceBook::parse(&pricing_src)
            .map_err(|e| bad("OC_PRICING_FILE", format!("invalid price book: {e}")))?;

        let outbox_dir = data_dir.join("outbox");
        Ok(Config {
            database_url,
            bind,
            base_url,
            secret_key,
            smtp_url,
            mail_from,
            bcrypt_cost,
            session_idle: chrono::Duration::minutes(i64::from(idle)),
            session_absolute: chrono::Duration::hours(i64::from(absolute)),
            data_dir,
            outbox_dir,
            mail_worker: true,
            throttle_per_minute,
            pricing: std::sync::Arc::new(pricing),
        })
    }
}

fn parse_num(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(
                name,
                format!("'{v}' is not a whole number from {min} to {max}"),
            )),
        },
    }
}

/// The generated secret lives in `data/secret.key` (mode 0600), created once and reused so
/// sessions survive restarts.
fn load_or_create_secret(data_dir: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let path = data_dir.join("secret.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if s.len() >= 32 {
            return Ok(s.into_bytes());
        }
        return Err(format!("{} is shorter than 32 characters", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let key = crate::auth::random_token(48);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(key.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(key.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        m.entry("OC_SECRET_KEY".into())
            .or_insert_with(|| "x".repeat(40));
        Config::from_lookup(move |k| m.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).map_err(|e| e.to_string());
        let c = c.as_ref().map_err(|e| e.as_str());
        assert!(
            matches!(c.map(|c| &c.database_url), Ok(DbUrl::Sqlite(p)) if p == "./data/online-contact.db")
        );
        assert_eq!(c.map(|c| c.bind.as_str()), Ok("127.0.0.1:8080"));
        assert_eq!(
            c.map(|c| c.base_url.origin()),
            Ok("http://localhost:8080".to_string())
        );
        assert_eq!(c.map(|c| c.bcrypt_cost), Ok(12));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (k, v) in [
            ("OC_BCRYPT_COST", "abc"),
            ("OC_BCRYPT_COST", "3"),
            ("OC_BIND", "nowhere"),
            ("OC_BASE_URL", "ftp://x"),
            ("OC_DATABASE_URL", "mysql://x"),
            ("OC_SECRET_KEY", "short"),
            ("OC_MAIL_FROM", "not an address"),
            ("OC_SESSION_IDLE_MINUTES", "0"),
        ] {
            match cfg(&[(k, v)]) {
                Err(e) => assert!(e.to_string().starts_with(k), "{e}"),
                Ok(_) => panic!("{k}={v} accepted"),
            }
        }
    }

    #[test]
    fn base_url_parts() {
        let b = BaseUrl::parse("https://Example.com").map_err(|e| e.to_string());
        assert_eq!(
            b.as_ref().map(|b| b.authority().to_string()),
            Ok("example.com".to_string())
        );
        assert!(b.as_ref().is_ok_and(|b| b.is_https()));
        assert!(BaseUrl::parse("http://x.com/path").is_err());
        let b = BaseUrl::parse("http://localhost:8080").map_err(|e| e.to_string());
        let b = b.as_ref();
        assert_eq!(
            b.map(|b| b.workspace_domain("acme.localhost:8080")),
            Ok(Some("acme".to_string()))
        );
        assert_eq!(
            b.map(|b| b.workspace_domain("ACME.localhost:8080")),
            Ok(Some("acme".to_string()))
        );
        assert_eq!(b.map(|b| b.workspace_domain("localhost:8080")), Ok(None));
        assert_eq!(
            b.map(|b| b.workspace_domain("acme.localhost:9999")),
            Ok(None)
        );
        assert_eq!(
            b.map(|b| b.workspace_domain("a.b.localhost:8080")),
            Ok(None)
        );
        for host in [
            ".localhost:8080",
            "acme.localhost",
            "acme.localhost:80",
            "é.localhost:808",
            "",
        ] {
            assert_eq!(b.map(|b| b.workspace_domain(host)), Ok(None), "{host}");
        }
        assert_eq!(
            b.map(|b| b.workspace_label(" AcMe.LocalHost:8080 ")),
            Ok(Some("AcMe"))
        );
        let plain = BaseUrl::parse("https://Example.com").map_err(|e| e.to_string());
        assert_eq!(
            plain
                .as_ref()
                .map(|b| b.workspace_domain("shop.example.COM")),
            Ok(Some("shop".to_string()))
        );
        assert_eq!(
            plain
                .as_ref()
                .map(|b| b.workspace_domain("shop.example.com:443")),
            Ok(None)
        );
        assert_eq!(
            b.map(|b| b.workspace_origin("acme")),
            Ok("http://acme.localhost:8080".to_string())
        );
    }

    #[test]
    fn pricing_file_overrides_the_default() {
        let dir = std::env::temp_dir().join(format!("oc-pricing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let good = dir.join("good.toml");
        let src = crate::pricing::DEFAULT.replace("currency = \"KRW\"", "currency = \"JPY\"");
        std::fs::write(&good, src).ok();
        let c = cfg(&[("OC_PRICING_FILE", good.to_str().unwrap_or(""))]).map_err(|e| e.to_string());
        assert_eq!(c.map(|c| c.pricing.currency.clone()), Ok("JPY".to_string()));
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "currency = 1").ok();
        for path in [bad.to_str().unwrap_or(""), "/no/such/pricing.toml"] {
            match cfg(&[("OC_PRICING_FILE", path)]) {
                Err(e) => assert!(e.to_string().starts_with("OC_PRICING_FILE"), "{e}"),
                Ok(_) => panic!("{path} accepted"),
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_url("smtp://u:p@host:25"), "smtp://***@host:25");
        assert_eq!(redact_url("smtp://host:25"), "smtp://host:25");
    }
}
