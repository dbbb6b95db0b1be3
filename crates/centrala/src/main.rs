//! `centrala`: the one binary. Parses the command line, loads the
//! configuration, sets up logging, and hands over to the drivers: the store,
//! the HTTP API (and, in later issues, SIP and media).

mod backup;
mod config;
mod tls;

use anyhow::{bail, Context};
use centrala_store::{demo, import::ImportFailure, password, redact_url, Store};
use clap::{Parser, Subcommand};
use config::{Config, HttpOverrides, Overrides, SipOverrides};
use std::{io::BufRead, net::SocketAddr, path::PathBuf, process::ExitCode};
use tracing_subscriber::EnvFilter;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "centrala", version, about = "A self-hosted contact center with a built-in order desk")]
struct Cli {
    /// Data folder (SQLite database, recordings). Default ./centrala-data
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… Default: SQLite in the data folder
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    /// TOML configuration file (see centrala.example.toml)
    #[arg(long, global = true, value_name = "FILE", env = "CENTRALA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the contact center: HTTP API and web UI
    Serve {
        /// Address for HTTP, e.g. 127.0.0.1:8080
        #[arg(long, value_name = "ADDR")]
        http: Option<SocketAddr>,
        /// SIP address (UDP), e.g. 127.0.0.1:5060
        #[arg(long, value_name = "ADDR")]
        sip: Option<SocketAddr>,
        /// Create the demo company on first start; every demo user's password is "demo"
        #[arg(long)]
        demo: bool,
    },
    /// Load a company's data from CSV files (all or nothing)
    Import {
        /// The company's code; created if it does not exist
        #[arg(long)]
        company: String,
        /// Folder with staff.csv, clients.csv, products.csv, …
        dir: PathBuf,
    },
    /// Copy the database and the recordings into DIR (new or empty), while
    /// Centrala serves
    Backup {
        /// Where the copy goes
        dir: PathBuf,
    },
    /// Bring a backup back into an empty data folder (or empty database)
    Restore {
        /// A folder `centrala backup` wrote
        dir: PathBuf,
    },
    /// Interval statistics
    Reports {
        #[command(subcommand)]
        command: ReportsCommand,
    },
    /// Manage staff accounts
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Subcommand)]
enum ReportsCommand {
    /// Rebuild a company's 15-minute statistics from the stored calls and
    /// agent states, from the first local day to the last (included)
    Rebuild {
        #[arg(long)]
        company: String,
        /// The first local day (YYYY-MM-DD)
        #[arg(long)]
        from: chrono::NaiveDate,
        /// The last local day, included
        #[arg(long)]
        to: chrono::NaiveDate,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Set a password, read from standard input (first line)
    Passwd {
        #[arg(long)]
        company: String,
        username: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (http, sip) = match &cli.command {
        Command::Serve { http, sip, .. } => (*http, *sip),
        _ => (None, None),
    };
    let flags = Overrides {
        data: cli.data.clone(),
        database: cli.database.clone(),
        http: http.map(|listen| HttpOverrides { listen }),
        sip: sip.map(|listen| SipOverrides { listen }),
    };
    let config = match Config::load(cli.config.as_deref(), &flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("centrala: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();

    if matches!(cli.command, Command::Serve { .. }) {
        media_first();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("centrala: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("centrala: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The media's pacing threads run ten nice levels ahead of every thread
/// started after them (signalling, the API, the database, recordings'
/// files), which pass their priority on to the threads they start: where
/// the process may, the pacing threads raise themselves to nice −10
/// (`media::first_in_line`, ahead of the machine's other programs too) and
/// the rest keeps the default; where it may not, the rest goes down to
/// nice +10, which needs no privilege. On a full core, a frame then goes
/// out on time and a call's set-up waits a few milliseconds, not the
/// other way round; admission control refuses new calls before set-up
/// starves. Ten levels, not twenty: at −10 against +10 the rest had about
/// 1 % of a full core and learned of a caller's BYE up to a second late,
/// so recordings outlasted their calls (issue 17). (Linux keeps a nice
/// value per thread: this sets the main thread's.)
fn media_first() {
    if centrala_sip::media::start_pacing() {
        return;
    }
    if let Err(e) = rustix::process::setpriority_process(None, 10) {
        eprintln!("centrala: the media could not be put first (nice +10 for the rest: {e}); going on");
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database.is_empty() {
        std::fs::create_dir_all(&config.data)
            .with_context(|| format!("cannot create data folder {}", config.data.display()))?;
        writable(&config.data)?;
    }
    let url = config.database_url();
    Store::open(&url).await.with_context(|| format!("cannot open the database {}", redact_url(&url)))
}

/// Refuses a data folder that cannot be written (read-only, no
/// permission), with the reason: SQLite would otherwise retry opening it
/// until the pool gives up with "pool timed out".
fn writable(data: &std::path::Path) -> anyhow::Result<()> {
    let probe = data.join(".centrala-write-check");
    let check = std::fs::write(&probe, b"ok").and_then(|()| std::fs::remove_file(&probe));
    let db = data.join("centrala.db");
    let check = check.and_then(|()| match db.exists() {
        true => std::fs::OpenOptions::new().append(true).open(&db).map(drop),
        false => Ok(()),
    });
    check.with_context(|| format!("the data folder {} cannot be written", data.display()))
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { demo, .. } => serve(config, demo).await.map(|()| ExitCode::SUCCESS),
        Command::Import { company, dir } => import(config, &company, &dir).await,
        Command::Backup { dir } => backup::backup(&config, &dir).await.map(|()| ExitCode::SUCCESS),
        Command::Restore { dir } => backup::restore(&config, &dir).await.map(|()| ExitCode::SUCCESS),
        Command::Reports { command: ReportsCommand::Rebuild { company, from, to } } => {
            rebuild_reports(config, &company, from, to).await
        }
        Command::Users { command: UsersCommand::Passwd { company, username } } => {
            passwd(config, &company, &username).await
        }
    }
}

async fn serve(config: Config, demo_mode: bool) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    std::fs::create_dir_all(config.recordings_dir())
        .with_context(|| format!("cannot create {}", config.recordings_dir().display()))?;
    tracing::info!(database = %redact_url(&config.database_url()), data = %config.data.display(), "store ready");
    if demo_mode {
        let center = config.center();
        let today = center.clock.today(center.time_zone);
        if demo::ensure(&store, today).await.context("creating the demo company")? {
            tracing::info!(company = demo::CODE, "demo company created");
        } else {
            tracing::info!(company = demo::CODE, "demo company already present, left as it is");
        }
        let days = config.demo_history_days;
        if demo::ensure_history(&store, today, days).await.context("writing the demo's call history")? {
            tracing::info!(company = demo::CODE, days, "demo call history written");
        }
        let realm = config.sip.realm.clone();
        demo::ensure_sip_accounts(&store, |user, pw| centrala_sip::registrar::ha1(user, &realm, pw))
            .await
            .context("creating the demo SIP accounts")?;
        tracing::info!("demo phones: SIP usernames 201 (admin) to 216 (fin.amra), password \"{}\"", demo::PASSWORD);
        let users: Vec<&str> = demo::STAFF.iter().map(|(u, ..)| *u).collect();
        tracing::warn!(
            "DEMO MODE: every demo user's password is \"{}\" (company \"{}\", users: {}). Never expose demo mode to a network.",
            demo::PASSWORD,
            demo::CODE,
            users.join(", ")
        );
    } else if store.companies().await?.is_empty() {
        tracing::warn!("no company yet: load one with `centrala import --company CODE DIR`, then set a password with `centrala users passwd`");
    }

    let center = centrala_center::Center::start(store.clone(), config.center());
    // Calls a crash cut off are closed before SIP takes new ones.
    centrala_center::recovery::close_interrupted(&center).await;
    let state = centrala_api::AppState::new(center.clone(), config.api(demo_mode));
    // The daily reports by e-mail: a round every minute.
    let mailer = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(centrala_api::mail::EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = centrala_api::mail::run_once(&mailer, chrono::Utc::now()).await {
                tracing::warn!(error = ?e, "daily reports: a round failed");
            }
        }
    });
    let telephony = if config.sip.enabled {
        tls::install_crypto();
        let telephony = centrala_sip::Telephony::start(config.telephony()?, center.brain())
            .await
            .with_context(|| format!("cannot start SIP on {}", config.sip.listen))?;
        let _ = center.dialer.set(telephony.dialer());
        Some(telephony)
    } else {
        tracing::info!("SIP is off (sip.enabled = false)");
        None
    };
    let stopping = state.shutdown.clone();
    // Before the server says it listens: a SIGTERM right after that line
    // must stop it cleanly, not kill it.
    let stop_signal = shutdown_signal();
    let app = centrala_api::app(state.clone());
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.listen))?;
    let addr = listener.local_addr()?;
    // Read before the server says it listens: a certificate that does not
    // read stops the start, with the reason.
    let https = match config.https() {
        Some((cert, key)) => Some((tls::load(&cert, &key).await?, cert, key)),
        None => None,
    };
    if config.https().is_none() && !(config.http.tls_cert.is_empty() && config.http.tls_key.is_empty()) {
        bail!("http.tls_cert and http.tls_key go together: set both, or neither");
    }
    let redirect = match (https.is_some(), config.http.redirect_from.trim()) {
        (_, "") => None,
        (false, _) => bail!("http.redirect_from needs HTTPS (http.tls_cert and http.tls_key)"),
        (true, from) => {
            let from: SocketAddr =
                from.parse().with_context(|| format!("http.redirect_from {from:?} is no address"))?;
            let l = tokio::net::TcpListener::bind(from).await.with_context(|| format!("cannot listen on {from}"))?;
            tracing::info!("redirecting http://{} to https", l.local_addr()?);
            Some(tokio::spawn(async move { axum::serve(l, tls::redirect(addr.port())).await }))
        }
    };
    tracing::info!("listening on {}://{addr}", if https.is_some() { "https" } else { "http" });

    let purge_store = store.clone();
    let retention = center.clone();
    let purge = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            centrala_center::recordings::sweep(&retention, chrono::Utc::now()).await;
            if let Err(e) = purge_store.purge_sessions(chrono::Utc::now()).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    });
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match https {
        None => axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                stop_signal.await;
                stopping.cancel();
            })
            .await
            .context("HTTP server failed")?,
        Some((rustls, cert, key)) => {
            let watch = tokio::spawn(tls::watch(rustls.clone(), cert, key, std::time::Duration::from_secs(5)));
            let handle = axum_server::Handle::new();
            let stop = handle.clone();
            tokio::spawn(async move {
                stop_signal.await;
                stopping.cancel();
                stop.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            let listener = listener.into_std()?;
            axum_server::from_tcp_rustls(listener, rustls)?
                .handle(handle)
                .serve(service)
                .await
                .context("HTTPS server failed")?;
            watch.abort();
        }
    }
    if let Some(r) = redirect {
        r.abort();
    }
    purge.abort();
    if let Some(t) = telephony {
        t.stop();
    }
    store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Registers the stop signals (SIGTERM, Ctrl-C) at once, when called, and
/// resolves on the first of them. (Registering only when first polled left
/// a moment after start in which SIGTERM killed the process outright.)
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        [signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok()]
    };
    async move {
        #[cfg(unix)]
        {
            let [term, int] = signals;
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing open requests");
    }
}

async fn import(config: Config, company: &str, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let started = std::time::Instant::now();
    let result = store.import_dir(company, dir, &config.default_country_code, "cli").await;
    store.close().await;
    match result {
        Ok(report) => {
            for (file, rows) in &report.files {
                println!("{file:<26} {rows:>8} rows");
            }
            println!(
                "imported {} rows into company {company} in {:.2} s",
                report.total(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportFailure::Rejected(errors)) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("import rejected: {} error(s); nothing was written", errors.len());
            Ok(ExitCode::FAILURE)
        }
        Err(ImportFailure::Store(e)) => Err(e).context("import failed; nothing was written"),
    }
}

async fn rebuild_reports(
    config: Config,
    company: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> anyhow::Result<ExitCode> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let store = open_store(&config).await?;
    let Some(c) = store.company_by_code(company).await? else {
        bail!("no company {company:?}");
    };
    let zone = match c.time_zone.as_str() {
        "" => config.center().time_zone,
        name => centrala_center::clock::parse_zone(name).map_err(anyhow::Error::msg)?,
    };
    let start = centrala_center::clock::day_start(from, zone);
    let until = centrala_center::clock::day_start(to.succ_opt().unwrap_or(to), zone);
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc());
    let (start, until) = (parse(&start)?, parse(&until)?);
    let problems = centrala_center::settings::Problems::default();
    let done = centrala_center::intervals::rebuild_in(&store.company(c.id), &problems, zone, start, until).await?;
    store.close().await;
    println!(
        "rebuilt {from} to {to} for {company}: {} queue and {} agent intervals, {} days of the order desk and requests",
        done.queue_rows, done.agent_rows, done.days
    );
    Ok(ExitCode::SUCCESS)
}

async fn passwd(config: Config, company: &str, username: &str) -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let new = line.trim_end_matches(['\r', '\n']).to_owned();
    password::check_policy(&new)?;
    let store = open_store(&config).await?;
    let Some(c) = store.company_by_code(company).await? else {
        bail!("no company {company:?}");
    };
    let scoped = store.company(c.id);
    let Some(member) = scoped.staff_by_username(username).await? else {
        bail!("no user {username:?} in company {company:?}");
    };
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&new)).await??;
    scoped.set_password_hash(member.id, &hash).await?;
    scoped.audit("cli", "set_password", "staff", &member.id.to_string(), "users passwd").await?;
    store.close().await;
    println!("password set for {username} in {company}");
    Ok(ExitCode::SUCCESS)
}
