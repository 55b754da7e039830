//! The guarded money-moving flow `exchange` and `order` share, run on the dashboard's own
//! parts: its session (journal, profile limits, read-only), its ticket state machine (input
//! validation, the lock check of `lock_check`, the limit, `App::confirm`), its submit path
//! (journal before, one POST, journal after, Unknown -> reconcile) and its poller, headless.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::context::{self, Globals};
use super::exit::{CliError, Exit};
use crate::api::ApiClient;
use crate::app::App;
use crate::app::cmd::Cmd;
use crate::app::live::{LiveRow, Phase};
use crate::app::msg::Msg;
use crate::logging::LogGuard;
use crate::poller::PollSettings;
use crate::runtime::{JournalWriter, run_headless};
use crate::sandbox::SandboxHandle;
use crate::session;

/// How long a run without `--watch` waits for the POST's answer, or for an unknown outcome to
/// be read back (the reconcile policy waits at least twice the request timeout).
pub const ANSWER_WAIT: Duration = Duration::from_secs(300);

/// The dashboard's session, without a terminal.
pub struct Desk {
    pub app: App,
    /// What the journal replay asked for (rows still in flight from earlier runs).
    startup: Vec<Cmd>,
    pub client: ApiClient,
    journal: Option<JournalWriter>,
    poll: PollSettings,
    sandbox: Option<SandboxHandle>,
    _log: Option<LogGuard>,
}

impl Desk {
    /// Resolves the config, opens the session (journal replayed, limits and read-only from the
    /// profile) and loads the balances the ticket checks amounts against.
    pub async fn open(globals: &Globals) -> Result<Self, CliError> {
        let config = context::load_config(globals)?;
        if config.read_only {
            return Err(CliError::new(
                Exit::Blocked,
                format!(
                    "profile {} is read-only (or --read-only was given): nothing was sent",
                    config.profile
                ),
            ));
        }
        let log = context::start_logging(&config, globals);
        let session = session::start(&config, globals.sandbox_pace, Utc::now())
            .await
            .map_err(|error| CliError::new(Exit::Failure, error.to_string()))?;
        if session.sandbox.is_some() {
            context::announce_sandbox();
        }
        let mut app = session.app;
        // `number_format` is the dashboard's: a script's `--amount 1234.5` (and the amount
        // typed again with --interactive) must not change meaning when someone sets it, so the
        // CLI reads and writes amounts in the default format, like its tables and CSV.
        app.keyboard.number_format = crate::number_format::NumberFormat::default();
        let mut desk = Self {
            app,
            startup: session.startup,
            client: session.client,
            journal: session.journal,
            poll: session.poll,
            sandbox: session.sandbox,
            _log: log,
        };
        let balances = desk.client.balances().await;
        if let Err(error) = &balances {
            let error = CliError::api("balances", error);
            desk.close().await;
            return Err(error);
        }
        desk.update(Msg::BalancesLoaded(balances));
        if let Some(reason) = desk.app.trading_refusal() {
            desk.close().await;
            return Err(CliError::new(
                Exit::Blocked,
                format!("{reason}: nothing was sent"),
            ));
        }
        Ok(desk)
    }

    /// Feeds one message to the app and keeps what it asks for, to run with the next step.
    pub fn update(&mut self, msg: Msg) {
        let cmds = self.app.update(msg, Utc::now());
        self.startup.extend(cmds);
    }

    /// Runs every pending command (and what they lead to) until `done` or `deadline`.
    pub async fn run_until(
        &mut self,
        cmds: Vec<Cmd>,
        deadline: Instant,
        done: impl FnMut(&App) -> bool,
    ) -> bool {
        let mut first = std::mem::take(&mut self.startup);
        first.extend(cmds);
        run_headless(
            &mut self.app,
            first,
            self.client.clone(),
            self.journal.clone(),
            self.poll,
            deadline,
            done,
        )
        .await
    }

    /// Writes what is pending (e.g. a refused lock's journal line) and stops.
    pub async fn close(mut self) {
        self.run_until(Vec::new(), Instant::now() + Duration::from_secs(5), |_| {
            true
        })
        .await;
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
    }

    /// The Live row of the attempt `key`.
    pub fn row(&self, key: &str) -> Option<&LiveRow> {
        self.app.live.rows.iter().find(|row| row.key == key)
    }

    /// The last note the app gave (why a confirm was refused).
    pub fn last_note(&self) -> String {
        self.app
            .notice
            .as_ref()
            .map_or_else(|| "refused".to_owned(), |notice| notice.text.clone())
    }
}

/// The intent key of the submit command `App::confirm` produced.
pub fn submitted_key(cmds: &[Cmd]) -> Option<String> {
    cmds.iter().find_map(|cmd| match cmd {
        Cmd::Submit { intent, .. } => Some(intent.intent.clone()),
        _ => None,
    })
}

/// Asks on the terminal for the amount again; `None` when there is no terminal to ask on.
pub fn ask_amount(prompt: &str) -> Result<String, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            Exit::GuardNotMet,
            "--interactive needs a terminal on stdin to type the amount: nothing was sent",
        ));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| {
            CliError::new(Exit::Failure, format!("cannot read the terminal: {error}"))
        })?;
    Ok(line.trim().to_owned())
}

/// Whether the attempt has an answer worth stopping for: the POST was answered (queued with
/// an id, or refused), an unknown outcome was read back, or (with `watch`) it is final.
pub fn settled(row: Option<&LiveRow>, watch: bool) -> bool {
    let Some(row) = row else {
        return true;
    };
    if watch {
        return row.phase.is_final();
    }
    match &row.phase {
        Phase::Sending | Phase::Unknown { .. } | Phase::Ambiguous { .. } => false,
        Phase::Pending { .. } => row.remote_id.is_some(),
        Phase::Completed | Phase::Failed { .. } | Phase::Expired => true,
    }
}

/// The exit for where the attempt ended.
pub fn exit_for(row: Option<&LiveRow>) -> Result<(), CliError> {
    let Some(row) = row else {
        return Err(CliError::new(Exit::Failure, "the attempt was lost"));
    };
    match &row.phase {
        Phase::Completed | Phase::Pending { .. } => Ok(()),
        Phase::Expired => Err(CliError::new(Exit::Failed, "the order expired")),
        Phase::Failed { reason } if row.remote_id.is_some() => {
            Err(CliError::new(Exit::Failed, format!("it failed: {reason}")))
        }
        Phase::Failed { reason } if reason.starts_with("Not applied") => Err(CliError::new(
            Exit::Network,
            format!("{reason} (the answer was lost; nothing moved)"),
        )),
        Phase::Failed { reason } if reason.starts_with("Not sent") => {
            Err(CliError::new(Exit::Blocked, reason.clone()))
        }
        Phase::Failed { reason } => Err(CliError::new(Exit::Refused, reason.clone())),
        Phase::Ambiguous { .. } => Err(CliError::new(
            Exit::Unknown,
            "the history holds more than one row that could be this attempt: it was not \
             re-sent; resolve it in the dashboard (Live pane, a / n)",
        )),
        Phase::Sending | Phase::Unknown { .. } => Err(CliError::new(
            Exit::Unknown,
            "the outcome is still unknown: it was not re-sent; `p100-desk journal --summary` \
             and the dashboard keep reconciling it",
        )),
    }
}

/// Prints a status change of the attempt on stderr, for the person watching.
pub fn progress_line(row: &LiveRow, last: &mut Option<String>) {
    let label = row.phase.label();
    if last.as_deref() != Some(label.as_str()) {
        let id = row.remote_id.as_deref().unwrap_or("(no id yet)");
        eprintln!("p100-desk: {} {id}: {label}", row.kind_label());
        *last = Some(label);
    }
}

/// Waits until the printed terms have stood for the dashboard's confirm delay, then brings the
/// app's clock up to date, so the shared confirm path counts the confirm.
pub async fn wait_out_the_confirm_delay(desk: &mut Desk) {
    let delay = std::time::Duration::from_millis(
        u64::try_from(crate::app::ticket::CONFIRM_DELAY_MS).unwrap_or(500),
    );
    tokio::time::sleep(delay).await;
    desk.app.now = chrono::Utc::now();
}
