//! Builds what a dashboard session needs from a resolved config: the API client (and the
//! embedded sandbox when that is the target), the journal replayed and opened, and the app.
//! No terminal here, so the binary and the tests start sessions the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;

use crate::api::{ApiClient, ApiSettings, RetryPolicy};
use crate::app::cmd::Cmd;
use crate::app::{App, EnvBadge, SessionInfo};
use crate::config::{Environment, ResolvedConfig, Target};
use crate::journal::{self, Journal};
use crate::poller::PollSettings;
use crate::runtime::JournalWriter;
use crate::sandbox::{self, Pace, SandboxHandle, SandboxOptions};

/// Requests in flight at once from the poller.
const POLL_CONCURRENCY: usize = 4;

/// Lock lifetime of the embedded sandbox in fast pace. Fast pace's own 2 s locks would be born
/// unconfirmable, since the desk refuses to confirm within 2 s of expiry (as in the test
/// harness's `fast_sandbox_options`).
const FAST_PACE_LOCK_TTL: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("could not start the built-in sandbox: {0}")]
    Sandbox(std::io::Error),
    #[error("could not set up the API client: {0}")]
    Client(String),
}

/// A session ready to run.
pub struct Session {
    pub app: App,
    /// Commands from replaying the journal (watch and reconcile what was in flight).
    pub startup: Vec<Cmd>,
    pub client: ApiClient,
    pub journal: Option<JournalWriter>,
    pub journal_path: PathBuf,
    pub poll: PollSettings,
    /// The embedded sandbox, when it is the target; stop it when the session ends.
    pub sandbox: Option<SandboxHandle>,
}

/// The journal file of a profile and environment, so a sandbox journal never resumes rows in
/// production and vice versa.
pub fn journal_path(data_dir: &Path, profile: &str, environment: &str) -> PathBuf {
    let safe: String = format!("{profile}-{environment}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    data_dir.join("journal").join(format!("{safe}.jsonl"))
}

pub fn badge(target: &Target) -> EnvBadge {
    match target {
        Target::Sandbox => EnvBadge::Sandbox,
        Target::Remote { environment, .. } => match environment {
            Environment::Stage => EnvBadge::Stage,
            Environment::Production => EnvBadge::Production,
            Environment::Custom => EnvBadge::Custom,
        },
    }
}

/// Replays the journal at `path` into `app` (resuming what was in flight when `resume`) and
/// opens it for writing, locked. A journal another desk holds makes this session read-only,
/// with the reason and the other process id on screen; nothing is resumed, polled or
/// journaled twice. A journal that cannot be read or opened turns trading off.
pub fn attach_journal(
    app: &mut App,
    path: &Path,
    resume: bool,
) -> (Vec<Cmd>, Option<JournalWriter>) {
    let after = crate::config::journal_section::JournalSection::default().archive_after();
    attach_journal_archiving(app, path, resume, after)
}

/// [`attach_journal`], first moving finished intents whose last line is older than
/// `archive_after` to the journal's archive (`None`: never). The archive's intents are loaded
/// too, so their ids stay claimed.
pub fn attach_journal_archiving(
    app: &mut App,
    path: &Path,
    resume: bool,
    archive_after: Option<chrono::Duration>,
) -> (Vec<Cmd>, Option<JournalWriter>) {
    // Locked before it is read, so no other desk appends while this one replays.
    let mut opened = Journal::open(path);
    // Read once: the compaction plans from this replay and hands back the rewritten
    // journal's when it moved anything.
    let mut replay = match journal::replay_file(path) {
        Ok(replay) => replay,
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "journal cannot be read");
            app.trading_blocked = Some(format!("the journal cannot be read ({error})"));
            return (Vec::new(), None);
        }
    };
    if let (Ok(journal), Some(after)) = (&mut opened, archive_after) {
        // A compaction that fails before its rename leaves the journal as it was; one that
        // fails after it has handed back the new file's replay, and a journal it could not
        // reopen refuses every append, so trading is blocked from the start (journal/archive.rs).
        if let Err(error) = journal.compact_replayed(&mut replay, chrono::Utc::now() - after) {
            if journal.refuses_appends() {
                // Told before the first confirm, not at it: nothing could be journaled.
                tracing::error!(%error, path = %path.display(), "journal compacted, not reopened");
                app.trading_blocked = Some(format!(
                    "the journal was compacted but could not be reopened ({error}): restart \
                     the desk to trade"
                ));
            } else {
                tracing::warn!(%error, path = %path.display(), "journal compaction did not complete");
            }
        }
    }
    match journal::archive::archived_intents(path) {
        Ok(archived) => app.records.load_archived(&archived),
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "journal archive cannot be read");
            app.trading_blocked = Some(format!(
                "the journal's archive cannot be read ({error}): ids it holds are not known"
            ));
            return (Vec::new(), None);
        }
    }
    let journal = match opened {
        Ok(journal) => journal,
        Err(error) => {
            if let Some(locked) = journal::JournalLocked::of(&error) {
                tracing::warn!(path = %path.display(), "{locked}");
                let reason = format!("{locked}: this desk is read-only");
                app.session.read_only = true;
                app.records.journal_locked = Some(reason.clone());
                app.trading_blocked = Some(reason);
            } else {
                tracing::error!(%error, path = %path.display(), "journal cannot be opened");
                app.trading_blocked = Some(format!("the journal cannot be written ({error})"));
            }
            // Whose ids are whose is still known, for anything this desk shows.
            app.records.load(&replay.records);
            return (Vec::new(), None);
        }
    };
    let startup = if resume {
        app.resume(&replay.records, &replay.damaged_lines)
    } else {
        app.records.load(&replay.records);
        Vec::new()
    };
    match JournalWriter::spawn(journal) {
        Ok(writer) => (startup, Some(writer)),
        Err(error) => {
            tracing::error!(%error, "journal writer cannot start");
            app.trading_blocked = Some(format!("the journal cannot be written ({error})"));
            (startup, None)
        }
    }
}

/// The OS user running the desk, journaled with the decisions they make (`USER`, `USERNAME`
/// or `LOGNAME`, whichever is set).
pub fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|name| {
            name.trim()
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
        })
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| crate::app::records::UNKNOWN_OPERATOR.to_string())
}

/// The embedded sandbox's options at `pace` (human for people, fast for the terminal tests).
fn embedded_sandbox_options(pace: Pace) -> SandboxOptions {
    let lock_ttl = match pace {
        Pace::Fast => Some(FAST_PACE_LOCK_TTL),
        Pace::Human => None,
    };
    SandboxOptions {
        pace,
        lock_ttl,
        // A fresh key per run: nothing else on this machine can guess its way into the desk's
        // sandbox, and the key never spells a word that could occur in an answer.
        api_key: format!("sandbox-{}", uuid::Uuid::new_v4().simple()),
        ..SandboxOptions::default()
    }
}

/// The poller's settings from `[polling]` (the dashboard's and `p100-desk watch`'s).
pub fn poll_settings(config: &ResolvedConfig) -> PollSettings {
    PollSettings {
        first_check: config.polling.first_check,
        max_interval: config.polling.max_interval,
        max_requests_per_second: config.polling.max_requests_per_second.get(),
        max_concurrent: POLL_CONCURRENCY,
    }
}

/// The API client for `config`'s target, starting the embedded sandbox (at `sandbox_pace`)
/// when that is the target. The dashboard and the headless commands connect the same way.
pub async fn connect(
    config: &ResolvedConfig,
    sandbox_pace: Pace,
) -> Result<(ApiClient, Option<SandboxHandle>), SessionError> {
    let (base_url, api_key, sandbox) = match &config.target {
        Target::Sandbox => {
            let handle = sandbox::spawn(embedded_sandbox_options(sandbox_pace))
                .await
                .map_err(SessionError::Sandbox)?;
            let key = SecretString::from(handle.api_key().to_string());
            (handle.base_url().to_string(), key, Some(handle))
        }
        Target::Remote {
            base_url, api_key, ..
        } => (base_url.clone(), api_key.clone(), None),
    };
    let settings = ApiSettings {
        base_url,
        api_key,
        paths: config.paths.clone(),
        connect_timeout: config.timeouts.connect,
        request_timeout: config.timeouts.request,
        retry: RetryPolicy::default(),
    };
    let client = match &config.ca_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|error| {
                SessionError::Client(format!("CA certificate {}: {error}", path.display()))
            })?;
            ApiClient::new_trusting(settings, &pem)
        }
        None => ApiClient::new(settings),
    }
    .map_err(|error| SessionError::Client(error.user_message()))?
    .with_max_response_bytes(config.max_response_bytes);
    client.set_max_throttle_pause(config.trading.max_throttle_pause);
    Ok((client, sandbox))
}

/// Starts the sandbox if needed (at `sandbox_pace`), builds the client, replays and opens the
/// journal.
pub async fn start(
    config: &ResolvedConfig,
    sandbox_pace: Pace,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Session, SessionError> {
    let (client, sandbox) = connect(config, sandbox_pace).await?;

    let environment = badge(&config.target);
    let session = SessionInfo {
        environment,
        profile: crate::ui::header::profile_label(config),
        read_only: config.read_only,
        bell: config.bell,
        max_exchange_eur: config.max_exchange_eur,
    };
    let mut app = App::new(session, now);
    app.records.operator = os_user();
    // The embedded sandbox is never a relay, whatever the profile says.
    app.team.relay = config.relay && sandbox.is_none();
    app.lock_policy = config.trading.lock_policy;
    app.keyboard.keymap = config.keyboard.keymap.clone();
    app.keyboard.number_format = config.keyboard.number_format;
    app.keyboard.log.log_file = Some(crate::logging::log_file_path(&config.data_dir));
    for warning in &config.warnings {
        app.startup_warning(warning.clone());
    }
    app.screen.theme = config.display.theme;
    app.history.max_loaded_rows = config.history.max_loaded_rows;
    app.history.page_size = config.history.page_size;
    app.check_pace = crate::app::check_pace::CheckPace {
        max_requests_per_second: config.polling.max_requests_per_second.get(),
        max_interval: config.polling.max_interval,
    };
    // P100 may still apply a POST whose answer we gave up on: "not in the history" proves
    // nothing until well past the time a request can take.
    app.reconcile_policy = app
        .reconcile_policy
        .with_min_span_at_least(config.timeouts.request * 2);
    let journal_path = journal_path(
        &config.data_dir,
        &config.profile,
        &environment.label().to_ascii_lowercase(),
    );
    app.export_paths = Some(crate::app::export::ExportPaths {
        dir: config.data_dir.join("exports"),
        journal: journal_path.clone(),
    });
    // The embedded sandbox starts empty every run, so ids from an earlier run mean nothing to
    // it: its journal is kept as an audit trail but not resumed.
    let resume = sandbox.is_none();
    let (startup, journal) = attach_journal_archiving(
        &mut app,
        &journal_path,
        resume,
        config.journal.archive_after(),
    );
    let poll = poll_settings(config);
    Ok(Session {
        app,
        startup,
        client,
        journal,
        journal_path,
        poll,
        sandbox,
    })
}
