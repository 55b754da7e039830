//! Runs the real event loop headless: `TestBackend`, scripted keys, the sandbox over loopback.
//! Tests wait for conditions on what the loop last drew, never for a fixed time.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc as fmpsc;
use p100_desk::api::ApiClient;
use p100_desk::api::paths::ApiPaths;
use p100_desk::api::{ApiSettings, RetryPolicy};
use p100_desk::app::live::LiveRow;
use p100_desk::app::reconcile::ReconcilePolicy;
use p100_desk::app::stale_retry::StaleRetry;
use p100_desk::app::ticket::Ticket;
use p100_desk::app::{App, EnvBadge, SessionInfo};
use p100_desk::journal::{self, Journal, JournalStore};
use p100_desk::poller::PollSettings;
use p100_desk::runtime::{self, JournalWriter, RecordedEffects, RunOptions};
use p100_desk::sandbox::{self, Pace, SandboxHandle, SandboxOptions};
use p100_desk::ui::RenderOptions;
use p100_desk::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use rust_decimal::Decimal;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long any condition may take before the test fails. Generous for a loaded 2-core CI
/// machine; a passing test returns as soon as the condition holds.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Balances as drawn: (currency, amount) in pane order.
pub type BalanceSet = Vec<(String, Decimal)>;

/// What the loop showed after its last frame.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub screen: String,
    pub balances: Vec<(String, Decimal)>,
    pub history_len: usize,
    /// The page of the bottom history row held, and whether the last page came back short.
    pub history_pages: u32,
    pub history_exhausted: bool,
    /// A history page is on its way; the API's total, when it sent one.
    pub history_loading: bool,
    pub history_total: Option<u64>,
    pub live: Vec<LiveRow>,
    pub ticket: Option<String>,
    pub notice: Option<String>,
    pub overlay: Option<String>,
    pub balances_loaded: bool,
    /// Why each pane is stale, if it is: balances, history, live.
    pub stale: [Option<String>; 3],
    /// The ticket's indicative quote (exchange rate or order rates): `Ok` once one arrived,
    /// `Err(message)` when it could not be had, `None` while neither.
    pub indicative: Option<Result<(), String>>,
    /// Why trading is off, if it is.
    pub trading_blocked: Option<String>,
}

impl Probe {
    fn of(app: &App, buffer: &Buffer) -> Self {
        let screen = buffer
            .content
            .chunks(usize::from(buffer.area.width.max(1)))
            .map(|row| {
                row.iter()
                    .map(ratatui::buffer::Cell::symbol)
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            screen,
            balances: app
                .balances
                .rows
                .iter()
                .map(|row| (row.currency.as_str().to_string(), row.amount))
                .collect(),
            history_len: app.history.len(),
            history_pages: app.history.pages_loaded,
            history_exhausted: app.history.exhausted,
            history_loading: app.history.loading_page.is_some(),
            history_total: app.history.total,
            live: app.live.rows.to_vec(),
            ticket: app.ticket.as_ref().map(|t| ticket_stage(t, app.now)),
            notice: app.notice.as_ref().map(|n| n.text.clone()),
            overlay: app.overlay.as_ref().map(|o| format!("{o:?}")),
            balances_loaded: app.balances.freshness.loaded_at.is_some(),
            stale: [
                app.balances
                    .freshness
                    .stale
                    .as_ref()
                    .map(|s| s.reason.clone()),
                app.history
                    .freshness
                    .stale
                    .as_ref()
                    .map(|s| s.reason.clone()),
                app.live.stale().map(|s| s.reason.clone()),
            ],
            indicative: app.ticket.as_ref().and_then(indicative),
            trading_blocked: app.trading_blocked.clone(),
        }
    }

    pub fn balance(&self, currency: &str) -> Option<Decimal> {
        self.balances
            .iter()
            .find(|(name, _)| name == currency)
            .map(|(_, amount)| *amount)
    }
}

fn indicative(ticket: &Ticket) -> Option<Result<(), String>> {
    let (arrived, error) = match ticket {
        Ticket::Exchange(t) => (t.quote.is_some(), &t.quote_error),
        Ticket::Order(t) => (t.rates.is_some(), &t.rates_error),
    };
    match (arrived, error) {
        (true, _) => Some(Ok(())),
        (false, Some(message)) => Some(Err(message.clone())),
        (false, None) => None,
    }
}

/// The ticket's stage in a word; a lock is "locked" only once a confirm counts (the terms have
/// been on screen long enough), "locked, not yet confirmable" before.
fn ticket_stage(ticket: &Ticket, now: chrono::DateTime<chrono::Utc>) -> String {
    match ticket.rejection() {
        Some(message) => format!("rejected: {message}"),
        None if ticket
            .confirm_wait(now)
            .is_some_and(|wait| wait > chrono::Duration::zero()) =>
        {
            "locked, not yet confirmable".to_owned()
        }
        None => format!("{:?}", ticket.stage_kind()).to_lowercase(),
    }
}

pub fn fast_sandbox_options() -> SandboxOptions {
    SandboxOptions {
        api_key: "flow-test-key".into(),
        pace: Pace::Fast,
        // The desk refuses to confirm within 2 s of expiry; fast-pace locks (2 s) would be
        // born expired.
        lock_ttl: Some(Duration::from_secs(30)),
        ..SandboxOptions::default()
    }
}

pub async fn start_sandbox(options: SandboxOptions) -> SandboxHandle {
    sandbox::spawn(options).await.expect("sandbox starts")
}

pub fn client_for(base_url: &str, key: &str) -> ApiClient {
    client_with(
        base_url,
        key,
        Duration::from_secs(2),
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        },
    )
}

/// A client with this timeout (connect and request) and retry policy.
pub fn client_with(base_url: &str, key: &str, timeout: Duration, retry: RetryPolicy) -> ApiClient {
    ApiClient::new(ApiSettings {
        base_url: base_url.to_string(),
        api_key: key.to_string().into(),
        paths: ApiPaths::default(),
        connect_timeout: timeout,
        request_timeout: timeout,
        retry,
    })
    .expect("client")
}

pub fn fast_poll() -> PollSettings {
    PollSettings {
        first_check: Duration::from_millis(50),
        max_interval: Duration::from_millis(400),
        max_requests_per_second: 40,
        max_concurrent: 4,
    }
}

/// A running dashboard with its key feed and its last frame.
pub struct Desk {
    keys: fmpsc::UnboundedSender<io::Result<Event>>,
    probes: watch::Receiver<Probe>,
    task: JoinHandle<App>,
    frames: Arc<Mutex<Vec<String>>>,
    /// Every distinct set of balances drawn, in order.
    balances_seen: Arc<Mutex<Vec<BalanceSet>>>,
}

/// A change made to the app before its loop starts.
pub type AppSetup = Box<dyn FnOnce(&mut App) + Send>;

pub struct DeskConfig {
    pub session: SessionInfo,
    pub journal_path: PathBuf,
    pub size: (u16, u16),
    pub poll: PollSettings,
    /// How soon a failed pane refresh is retried (short: tests wait for recovery).
    pub stale_retry: StaleRetry,
    pub reconcile: ReconcilePolicy,
    /// Keep the text of every distinct frame drawn (for scans of everything ever shown).
    pub record_frames: bool,
    /// Write the journal through this store (a disk that fills) instead of the file.
    pub journal_store: Option<Box<dyn JournalStore>>,
    /// Open the journal the way a real session does (`session::attach_journal`: locked, and
    /// read-only when another desk holds it) instead of expecting it to open.
    pub via_session: bool,
    /// Runs on the app before the loop starts (shorter thresholds, an operator name).
    pub setup: Option<AppSetup>,
    /// Tell the app tokio's time instead of the system's (for `start_paused` tests).
    pub tokio_clock: bool,
}

impl DeskConfig {
    pub fn new(journal_path: &Path) -> Self {
        Self {
            session: SessionInfo {
                environment: EnvBadge::Custom,
                profile: "flow".into(),
                read_only: false,
                bell: true,
                max_exchange_eur: None,
            },
            journal_path: journal_path.to_path_buf(),
            size: (140, 45),
            poll: fast_poll(),
            stale_retry: StaleRetry {
                first: Duration::from_millis(100),
                max: Duration::from_secs(1),
            },
            reconcile: ReconcilePolicy::default(),
            record_frames: false,
            journal_store: None,
            via_session: false,
            setup: None,
            tokio_clock: false,
        }
    }
}

impl Desk {
    /// Replays the journal, then starts the loop against `client`.
    pub fn start(client: ApiClient, config: DeskConfig) -> Self {
        let (keys, events) = fmpsc::unbounded::<io::Result<Event>>();
        let (probe_tx, probes) = watch::channel(Probe::default());
        let frames = Arc::new(Mutex::new(Vec::<String>::new()));
        let recorded = config.record_frames.then(|| Arc::clone(&frames));
        let balances_seen = Arc::new(Mutex::new(Vec::<Vec<(String, Decimal)>>::new()));
        let balances_record = Arc::clone(&balances_seen);
        let task = tokio::spawn(async move {
            let mut app = App::new(config.session, chrono::Utc::now());
            app.stale_retry = config.stale_retry;
            app.reconcile_policy = config.reconcile;
            if let Some(setup) = config.setup {
                setup(&mut app);
            }
            let (startup, writer) = if config.via_session {
                p100_desk::session::attach_journal(&mut app, &config.journal_path, true)
            } else {
                let replay = journal::replay_file(&config.journal_path).expect("journal readable");
                let startup = app.resume(&replay.records, &replay.damaged_lines);
                let journal = match config.journal_store {
                    Some(store) => Journal::with_store(&config.journal_path, store),
                    None => Journal::open(&config.journal_path),
                };
                let writer = journal
                    .and_then(JournalWriter::spawn)
                    .expect("journal opens");
                (startup, Some(writer))
            };
            let backend = TestBackend::new(config.size.0, config.size.1);
            let mut terminal = Terminal::new(backend).expect("terminal");
            let mut effects = RecordedEffects::default();
            let mut observe = |app: &App, buffer: &Buffer| {
                let probe = Probe::of(app, buffer);
                {
                    let mut seen = balances_record
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if seen.last() != Some(&probe.balances) {
                        seen.push(probe.balances.clone());
                    }
                }
                if let Some(frames) = &recorded {
                    let mut frames = frames.lock().unwrap_or_else(PoisonError::into_inner);
                    if frames.last() != Some(&probe.screen) {
                        frames.push(probe.screen.clone());
                    }
                }
                let _ = probe_tx.send(probe);
            };
            let options = RunOptions {
                render: RenderOptions::utc(Theme::color()),
                refresh_every: Duration::from_secs(600),
                poll: config.poll,
                clock: if config.tokio_clock {
                    runtime::Clock::tokio()
                } else {
                    runtime::Clock::System
                },
            };
            runtime::run(
                &mut terminal,
                events,
                app,
                startup,
                client,
                writer,
                options,
                &mut effects,
                Some(&mut observe),
            )
            .await
            .expect("loop ends cleanly")
        });
        Self {
            keys,
            probes,
            task,
            frames,
            balances_seen,
        }
    }

    /// The text of every distinct frame drawn so far (empty unless `record_frames` was set).
    pub fn frames(&self) -> Vec<String> {
        self.frames
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Marks every frame drawn so far as seen, for [`Desk::next_frame`].
    pub fn seen(&mut self) {
        self.probes.borrow_and_update();
    }

    /// The next frame drawn after [`Desk::seen`] (panics after `PATIENCE`).
    pub async fn next_frame(&mut self) -> Probe {
        let changed = tokio::time::timeout(PATIENCE, self.probes.changed()).await;
        assert!(matches!(changed, Ok(Ok(()))), "no frame drawn in time");
        self.probes.borrow_and_update().clone()
    }

    /// What the last frame showed.
    pub fn probe(&self) -> Probe {
        self.probes.borrow().clone()
    }

    /// The text of the last frame drawn.
    pub fn screen(&self) -> String {
        self.probes.borrow().screen.clone()
    }

    pub fn press(&self, code: KeyCode) {
        let _ = self
            .keys
            .unbounded_send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
    }

    pub fn press_with(&self, code: KeyCode, modifiers: KeyModifiers) {
        let _ = self
            .keys
            .unbounded_send(Ok(Event::Key(KeyEvent::new(code, modifiers))));
    }

    /// A bracketed paste, as the terminal sends it.
    pub fn paste(&self, text: &str) {
        let _ = self.keys.unbounded_send(Ok(Event::Paste(text.to_string())));
    }

    /// Stops the loop with Ctrl-C after whatever was sent before (no Esc first) and returns the
    /// final state.
    pub async fn stop(self) -> App {
        self.press_with(KeyCode::Char('c'), KeyModifiers::CONTROL);
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("quits in time")
            .expect("loop task")
    }

    pub fn key(&self, c: char) {
        self.press(KeyCode::Char(c));
    }

    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.key(c);
        }
    }

    /// Waits until a frame satisfies `condition`; fails with the last screen if it never does.
    pub async fn wait_for(&mut self, what: &str, condition: impl Fn(&Probe) -> bool) -> Probe {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            {
                let probe = self.probes.borrow_and_update();
                if condition(&probe) {
                    return probe.clone();
                }
            }
            let changed = tokio::time::timeout_at(deadline, self.probes.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                let probe = self.probes.borrow().clone();
                panic!(
                    "timed out waiting for {what}\nnotice: {:?}\nticket: {:?}\nlive: {:#?}\nscreen:\n{}",
                    probe.notice, probe.ticket, probe.live, probe.screen
                );
            }
        }
    }

    /// Focuses the balance of `currency` (balances pane, rows in API order).
    pub async fn select_balance(&mut self, currency: &str) {
        let probe = self.wait_for("balances", |p| p.balances_loaded).await;
        let index = probe
            .balances
            .iter()
            .position(|(name, _)| name == currency)
            .expect("the sandbox holds this currency");
        self.key('1');
        self.key('g');
        for _ in 0..index {
            self.key('j');
        }
    }

    /// Opens the exchange ticket from `from` into EUR for `amount` and locks the rate.
    pub async fn lock_exchange(&mut self, from: &str, amount: &str) {
        self.select_balance(from).await;
        self.key('x');
        self.wait_for("exchange ticket", |p| {
            p.ticket.as_deref() == Some("editing")
        })
        .await;
        self.type_text(amount);
        self.press(KeyCode::Enter);
        self.wait_for("locked rate", |p| p.ticket.as_deref() == Some("locked"))
            .await;
    }

    /// Opens the order ticket on `crypto` for `fiat_amount` EUR and locks the order rate.
    pub async fn lock_order(&mut self, crypto: &str, fiat_amount: &str) {
        self.select_balance(crypto).await;
        self.key('o');
        self.wait_for("order ticket", |p| p.ticket.as_deref() == Some("editing"))
            .await;
        self.type_text(fiat_amount);
        self.press(KeyCode::Enter);
        self.wait_for("locked order rate", |p| {
            p.ticket.as_deref() == Some("locked")
        })
        .await;
    }

    /// Every distinct set of balances (currency, amount) the desk has drawn so far.
    pub fn balances_seen(&self) -> Vec<BalanceSet> {
        self.balances_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Quits, then returns every distinct set of balances the desk drew.
    pub async fn balances_seen_after_quit(self) -> Vec<BalanceSet> {
        let seen = Arc::clone(&self.balances_seen);
        self.quit().await;
        seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Closes any ticket or dialog (Esc), quits with `q` (and `y` when rows in flight make the
    /// desk ask first) and returns the final state.
    pub async fn quit(self) -> App {
        self.press(KeyCode::Esc);
        self.press(KeyCode::Esc);
        self.key('q');
        self.key('y');
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("quits in time")
            .expect("loop task")
    }
}

/// Waits until an async condition holds (sandbox state, files).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}
