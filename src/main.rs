//! The `p100-desk` binary: command line, start-up (config, logging), and the standalone sandbox.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use color_eyre::eyre::{Result, WrapErr};
use futures::StreamExt as _;
use p100_desk::config::{self, CliOverrides, EnvVars};
use p100_desk::logging;
use p100_desk::runtime::{self, RunOptions, StdoutEffects};
use p100_desk::sandbox::{self, Pace, SandboxOptions};
use p100_desk::session;
use p100_desk::ui::RenderOptions;

/// Test-only: when this environment variable is set (non-empty), F12 panics inside the event
/// loop and F11 in a background task, so tests/terminal.rs can prove the panic hook restores the
/// terminal and stops the loop. Nobody sets it by accident, and F11/F12 are bound to nothing, so
/// a user cannot hit them.
const TEST_PANIC: &str = "P100_DESK_TEST_PANIC";

/// Exit code for a start-up error the user must fix (bad config, unusable log file); clap uses
/// the same code for bad arguments.
const EXIT_CONFIG: u8 = 2;

/// Terminal treasury dashboard for the P100 Partner API, with a built-in sandbox.
#[derive(Debug, Parser)]
#[command(name = "p100-desk", version)]
struct Cli {
    /// Config file (default: the platform config dir, see below).
    #[arg(long, value_name = "PATH", global = true)]
    config: Option<PathBuf>,
    /// Profile to use, one of [profiles.<name>] in the config file, or "sandbox".
    #[arg(long, value_name = "NAME", global = true)]
    profile: Option<String>,
    // `help` rather than a doc comment: the text is for the terminal, not Markdown.
    #[arg(
        long,
        value_name = "PATH",
        global = true,
        help = "Where the journal and logs live (also: P100_DATA_DIR)"
    )]
    data_dir: Option<PathBuf>,
    /// Use the built-in sandbox, whatever the profile or environment says.
    #[arg(long, global = true, conflicts_with_all = ["profile", "base_url"])]
    sandbox: bool,
    #[arg(
        long,
        value_name = "URL",
        global = true,
        help = "Talk to this server instead of the profile's (e.g. http://127.0.0.1:18080)"
    )]
    base_url: Option<String>,
    /// Show data only; refuse every money-moving action.
    #[arg(long, global = true)]
    read_only: bool,
    /// Also trust the PEM certificate(s) in this file (a team relay's own CA; also: [api] ca_cert).
    #[arg(long, value_name = "PEM", global = true)]
    ca_cert: Option<PathBuf>,
    /// Hidden, for the terminal tests: run the embedded sandbox in fast pace (milliseconds per
    /// step) so a test of the real binary finishes an exchange in about a second.
    #[arg(long, value_enum, default_value_t = SandboxPace::Human, hide = true, global = true)]
    sandbox_pace: SandboxPace,
    #[command(subcommand)]
    command: Option<Command>,
}

/// `--sandbox-pace`: how fast the embedded sandbox moves things along.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SandboxPace {
    Human,
    Fast,
}

impl From<SandboxPace> for Pace {
    fn from(pace: SandboxPace) -> Self {
        match pace {
            SandboxPace::Human => Pace::Human,
            SandboxPace::Fast => Pace::Fast,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run only the simulated P100 API server, for curl or other tools, until Ctrl-C.
    Sandbox(SandboxArgs),
    #[command(flatten)]
    Headless(p100_desk::cli::HeadlessCommand),
    /// The team relay on PostgreSQL: serve, operators, the team journal.
    Relay(p100_desk::relay::cli::RelayArgs),
}

#[derive(Debug, Args)]
struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 18080)]
    port: u16,
    /// The x-api-key clients must send (a sandbox key, not a real P100 key).
    #[arg(long, default_value = "demo")]
    key: String,
    /// Move exchanges and orders along in milliseconds instead of seconds.
    #[arg(long)]
    fast: bool,
    /// Add this many settled history rows (older than the seeded ones), e.g. for benchmarks.
    #[arg(long, value_name = "N", default_value_t = 0)]
    history_rows: usize,
    /// Serve without the built-in rate limit (50 requests/s).
    #[arg(long)]
    no_rate_limit: bool,
}

impl Cli {
    fn globals(&self, env: &EnvVars) -> p100_desk::cli::Globals {
        p100_desk::cli::Globals {
            overrides: self.overrides(),
            sandbox_pace: self.sandbox_pace.into(),
            log_spec: env.get(config::LOG).map(str::to_owned),
        }
    }

    fn overrides(&self) -> CliOverrides {
        CliOverrides {
            config: self.config.clone(),
            profile: self.profile.clone(),
            data_dir: self.data_dir.clone(),
            sandbox: self.sandbox,
            base_url: self.base_url.clone(),
            read_only: self.read_only,
            ca_cert: self.ca_cert.clone(),
        }
    }
}

#[tokio::main]
async fn main() -> Result<ExitCode> {
    // First, before any key is read: a core dump of this process would hold the key.
    let core_dumps = p100_desk::core_dumps::forbid_core_dumps();
    color_eyre::install()?;
    let env = EnvVars::from_process();
    let matches = Cli::command().after_help(files_help(&env)).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    match cli.command {
        Some(Command::Sandbox(ref args)) => run_sandbox_alone(args, &env, core_dumps).await,
        Some(Command::Headless(ref command)) => {
            log_core_dumps(core_dumps);
            Ok(p100_desk::cli::run(command, &cli.globals(&env)).await)
        }
        Some(Command::Relay(ref args)) => {
            log_core_dumps(core_dumps);
            Ok(p100_desk::relay::cli::run(args, &cli.overrides(), &env).await)
        }
        None => Box::pin(run_app(&cli, &env, core_dumps)).await,
    }
}

/// `--help` ends with where things live, resolved for this machine.
fn files_help(env: &EnvVars) -> String {
    let unknown = || "(no home directory: pass --data-dir)".to_owned();
    let config = config::default_config_path().map_or_else(unknown, |path| show(&path));
    let data_dir = env
        .get(config::DATA_DIR)
        .map(PathBuf::from)
        .or_else(config::platform_data_dir);
    let (data, log) = data_dir.map_or_else(
        || (unknown(), unknown()),
        |dir| (show(&dir), show(&logging::log_file_path(&dir))),
    );
    format!(
        "Files:\n  \
           config file  {config}  (--config PATH)\n  \
           data dir     {data}  (--data-dir PATH or P100_DATA_DIR)\n  \
           log file     {log}  (level: P100_LOG, default info)\n\n\
         Environment:\n  \
           P100_API_KEY      the API key (wins over the profile's key_file; never an argument)\n  \
           P100_PROFILE      profile to use when --profile is not given\n  \
           P100_ENVIRONMENT  sandbox, stage or production\n  \
           P100_BASE_URL     server URL, overriding the profile's\n  \
           P100_DATA_DIR     data dir\n  \
           P100_LOG          log filter, e.g. debug or p100_desk=trace"
    )
}

fn show(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// The dashboard: resolve the config, start logging, build the session (starting the embedded
/// sandbox when that is the target), then run the terminal UI until the user quits.
async fn run_app(
    cli: &Cli,
    env: &EnvVars,
    core_dumps: p100_desk::core_dumps::CoreDumpGuard,
) -> Result<ExitCode> {
    let config = match config::load(&cli.overrides()) {
        Ok(config) => config,
        Err(error) => return Ok(startup_failure(&error)),
    };
    for warning in &config.warnings {
        eprintln!("p100-desk: warning: {warning}");
    }
    let log_guard = match logging::init_file(&config.data_dir, env.get(config::LOG)) {
        Ok(guard) => guard,
        Err(error) => return Ok(startup_failure(&error)),
    };
    tracing::info!(profile = %config.profile, target = %config.target, "starting");
    log_core_dumps(core_dumps);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    // Checked before anything starts (no journal file, no sandbox): crossterm would otherwise
    // open /dev/tty by itself and draw the dashboard into a redirected stdout.
    if !(io::stdin().is_terminal() && io::stdout().is_terminal()) {
        tracing::error!("stdin or stdout is not a terminal");
        eprintln!(
            "p100-desk: the dashboard needs an interactive terminal (stdin and stdout a TTY); \
             `p100-desk journal` prints the audit trail anywhere"
        );
        return Ok(ExitCode::FAILURE);
    }
    let session = session::start(&config, cli.sandbox_pace.into(), chrono::Utc::now())
        .await
        .wrap_err("could not start the session")?;
    let render = RenderOptions::from_environment(chrono::Utc::now(), &config.display);
    let options = RunOptions {
        render,
        refresh_every: config.polling.refresh,
        poll: session.poll,
        clock: p100_desk::runtime::Clock::System,
    };
    // Boxed: the dashboard's future holds the whole app state (clippy::large_futures).
    let outcome = Box::pin(run_terminal(
        session.app,
        session.startup,
        session.client,
        session.journal,
        options,
        env.get(TEST_PANIC).is_some(),
    ))
    .await;
    if let Some(sandbox) = session.sandbox {
        sandbox.shutdown().await;
    }
    match outcome {
        Ok(Stop::Quit) => tracing::info!("stopped by the user"),
        Ok(Stop::Signal(name)) => tracing::info!(signal = name, "stopped by a signal"),
        Err(error) => {
            tracing::error!(%error, "the dashboard stopped on an error");
            return Err(error);
        }
    }
    print_where_things_are(&session.journal_path, log_guard.path());
    // A SIGTERM or SIGHUP is a request to stop, handled like `q`: a clean stop exits 0.
    Ok(ExitCode::SUCCESS)
}

/// Says where the journal and log are. Write errors are ignored: after a hangup there is no
/// terminal to print to, and that must not turn a clean stop into a panic (as `println!` would).
fn print_where_things_are(journal: &std::path::Path, log: &std::path::Path) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Journal: {}", show(journal))
        .and_then(|()| writeln!(out, "Log file: {}", show(log)));
}

/// Why the dashboard stopped.
enum Stop {
    Quit,
    Signal(&'static str),
}

/// Owns the terminal: raw mode, the alternate screen and bracketed paste on the way in, restored
/// on the way out whatever happens (a quit, SIGTERM/SIGHUP, an error; a panic is handled by the
/// hook `p100_desk::terminal::enter` installs on top of color-eyre's).
async fn run_terminal(
    app: p100_desk::app::App,
    startup: Vec<p100_desk::app::cmd::Cmd>,
    client: p100_desk::api::ApiClient,
    journal: Option<p100_desk::runtime::JournalWriter>,
    options: RunOptions,
    panic_on_f12: bool,
) -> Result<Stop> {
    let mut terminal = p100_desk::terminal::enter()
        .wrap_err("p100-desk needs an interactive terminal (stdin and stdout a TTY)")?;
    // Best effort: a terminal without titles ignores it, and nothing depends on it.
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::SetTitle(p100_desk::ui::header::terminal_title(&app.session))
    );
    let mut effects = StdoutEffects;
    let events = crossterm::event::EventStream::new().inspect(move |event| {
        use crossterm::event::{Event, KeyCode};
        let key = |code| matches!(event, Ok(Event::Key(key)) if key.code == code);
        if panic_on_f12 && key(KeyCode::F(11)) {
            // The same, in a background task (as a bug in an API task would be).
            tokio::spawn(async { panic!("test-only panic: F11 pressed with {TEST_PANIC} set") });
        }
        assert!(
            !(panic_on_f12 && key(KeyCode::F(12))),
            "test-only panic: F12 pressed with {TEST_PANIC} set"
        );
    });
    let outcome = tokio::select! {
        result = runtime::run(&mut terminal, events, app, startup, client, journal, options, &mut effects, None) => {
            result.map(|_| Stop::Quit).map_err(color_eyre::Report::from)
        }
        name = termination_signal() => Ok(Stop::Signal(name)),
        () = p100_desk::terminal::panicked() => Err(color_eyre::eyre::eyre!(
            "a background task panicked (see above and the log file); the dashboard stopped"
        )),
    };
    p100_desk::terminal::restore();
    // Not dropped: ratatui's `Drop` shows the cursor again (done by `restore`) and, when that
    // fails on a terminal that has hung up, `eprintln!`s, which panics there.
    std::mem::forget(terminal);
    outcome
}

/// Resolves with the signal's name on SIGTERM or SIGHUP (unix); never elsewhere. Ctrl-C is a key
/// in raw mode and quits through the keymap.
async fn termination_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut terminate), Ok(mut hangup)) => tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = hangup.recv() => "SIGHUP",
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        std::future::pending().await
    }
}

/// `p100-desk sandbox`: the simulated server alone, logging to stderr (there is no UI to spoil).
async fn run_sandbox_alone(
    args: &SandboxArgs,
    env: &EnvVars,
    core_dumps: p100_desk::core_dumps::CoreDumpGuard,
) -> Result<ExitCode> {
    if let Err(error) = logging::init_stderr(env.get(config::LOG)) {
        return Ok(startup_failure(&error));
    }
    log_core_dumps(core_dumps);
    let options = SandboxOptions {
        api_key: args.key.clone(),
        port: args.port,
        pace: if args.fast { Pace::Fast } else { Pace::Human },
        history_rows: args.history_rows,
        rate_limit: if args.no_rate_limit {
            None
        } else {
            SandboxOptions::default().rate_limit
        },
        ..SandboxOptions::default()
    };
    let handle = sandbox::spawn(options)
        .await
        .wrap_err_with(|| format!("could not start the sandbox on port {}", args.port))?;
    println!(
        "P100 sandbox listening on {} (x-api-key: {})",
        handle.base_url(),
        args.key
    );
    wait_for_shutdown().await?;
    handle.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Logs whether core dumps are off (read back from the process, not assumed).
fn log_core_dumps(guard: p100_desk::core_dumps::CoreDumpGuard) {
    if guard.holds() {
        tracing::info!(dumpable = ?guard.dumpable, core_limit = ?guard.core_limit, "core dumps off");
    } else {
        tracing::warn!(dumpable = ?guard.dumpable, core_limit = ?guard.core_limit, "core dumps could not be turned off");
    }
}

/// Prints a start-up error the user must fix; no terminal mode is active yet.
fn startup_failure(error: &dyn std::error::Error) -> ExitCode {
    eprintln!("p100-desk: {error}");
    ExitCode::from(EXIT_CONFIG)
}

/// Resolves on Ctrl-C, or SIGTERM on unix (how service managers and `kill` stop a process).
async fn wait_for_shutdown() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
