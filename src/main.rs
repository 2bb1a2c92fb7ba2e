//! The `online-contact` binary: parses the command line, loads the configuration and runs
//! the server (the default) or the migrations.

use std::sync::Arc;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};
use online_contact::config::Config;
use online_contact::{AppState, app, jobs, mail};

#[derive(Parser)]
#[command(
    name = "online-contact",
    version,
    about = "Online Contact: the organization console of a contact center"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Background jobs (mail, housekeeping, and later imports and roll-ups).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Create a demo organization with services and years of contract history.
    DemoData {
        /// Its workspace domain.
        #[arg(long, default_value = "demo")]
        domain: String,
        #[arg(long, default_value_t = 50)]
        services: usize,
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// The password of the OWNER (login ID `owner`) and the console member.
        #[arg(long, default_value = "demo123!")]
        password: String,
        /// Also add this many permission-change log rows (spread over three years).
        #[arg(long, default_value_t = 0)]
        permission_logs: usize,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run the jobs that are due once, then exit (for cron and for admins).
    RunDue {
        /// Also run pending jobs scheduled for later, as if their time had come.
        #[arg(long)]
        now: bool,
    },
}

/// mimalloc instead of glibc's malloc: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Log lines are appended to a buffer that a background thread writes out (see
    // `logwriter`); the guard flushes what is left when `main` returns.
    let (writer, _flush_on_exit) = online_contact::logwriter::to(std::io::stdout());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(writer)
        // Colours only for a terminal: a file or a pipe gets plain lines (and the request
        // threads skip building the escape codes).
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    // `OC_LOG_FORMAT=json`: one JSON object a line, for log shippers.
    match std::env::var("OC_LOG_FORMAT").as_deref() {
        Ok("json") => logs
            .event_format(online_contact::logwriter::JsonLines)
            .init(),
        _ => logs.init(),
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => AppState::new(config).map(|_| tracing::info!("migrations applied")),
        Command::Serve => serve(config),
        Command::Jobs {
            command: JobsCommand::RunDue { now },
        } => run_due(config, now),
        Command::DemoData {
            domain,
            services,
            years,
            password,
            permission_logs,
        } => AppState::new(config).and_then(|state| {
            let url = online_contact::admin::contracts::demo::seed(
                &state, &domain, services, years, &password,
            )?;
            online_contact::admin::cti::demo::seed_cti(&state, &domain, &password)?;
            if permission_logs > 0 {
                online_contact::admin::contracts::demo::seed_permission_logs(
                    &state,
                    &domain,
                    permission_logs,
                )?;
            }
            println!("{url}  (login IDs: owner; CTI agents agent1, agent2, agent3)");
            Ok(())
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    let bind = config.bind.clone();
    let transport = Arc::new(mail::Transport::from_config(&config)?);
    let state = web::Data::new(AppState::new(config)?);
    tracing::info!(config = ?state.config, "starting");
    let registry = online_contact::jobs_registry(&state, transport);
    actix_web::rt::System::new().block_on(async move {
        if state.config.mail_worker {
            actix_web::rt::spawn(jobs::run_forever(
                state.pool.clone(),
                registry,
                std::time::Duration::from_secs(2),
            ));
        }
        let s = state.clone();
        let server = HttpServer::new(move || app(s.clone()))
            .worker_max_blocking_threads(online_contact::BLOCKING_THREADS_PER_WORKER)
            .bind(&bind)
            .map_err(|e| format!("OC_BIND: cannot listen on {bind}: {e}"))?;
        tracing::info!(
            "listening on http://{bind} (open {})",
            state.config.base_url.origin()
        );
        server.run().await.map_err(|e| e.to_string())
    })
}

/// `jobs run-due [--now]`: one pass of the runner, then a line of what it did.
fn run_due(config: Config, all: bool) -> Result<(), String> {
    let transport = Arc::new(mail::Transport::from_config(&config)?);
    let state = AppState::new(config)?;
    let registry = online_contact::jobs_registry(&state, transport);
    let mut conn = state.pool.get().map_err(|e| e.to_string())?;
    let due = if all { jobs::Due::All } else { jobs::Due::Now };
    let r = jobs::run_due(&mut conn, &registry, due, None).map_err(|e| e.to_string())?;
    println!(
        "jobs: {} done, {} to retry, {} failed",
        r.done, r.retried, r.failed
    );
    Ok(())
}
