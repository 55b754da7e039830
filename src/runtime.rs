//! The event loop: one `select!` over terminal input, task answers and timers; it owns the
//! poller and runs every `Cmd` as a task, so the loop itself never awaits the network.
//!
//! Generic over the backend and the input stream, so tests drive the real loop with
//! `TestBackend` and scripted keys (gitui's headless test does the same).

mod clock;
mod headless;
mod journal_writer;
mod tasks;
mod team_push;
mod throttle_watch;
mod trade_calls;

pub use clock::Clock;

pub use headless::run_headless;
pub use journal_writer::JournalWriter;
pub use tasks::matches_attempt;

use std::io;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::api::error::ApiError;
use crate::api::models::{ExchangeDetails, OrderDetails};
use crate::api::{ApiClient, RequestBudget};
use crate::app::App;
use crate::app::cmd::Cmd;
use crate::app::live::WatchChange;
use crate::app::msg::Msg;
use crate::journal::Entry;
use crate::keys::KeyPress;
use crate::poller::{self, DetailsSource, PollSettings};
use crate::ui::{self, RenderOptions};

/// Messages handled before a redraw when many arrive at once (a poller burst), so a burst
/// costs one frame, not one per message.
const MAX_MSGS_PER_FRAME: usize = 64;
/// How long quitting waits for the journal to confirm its last lines.
const JOURNAL_FLUSH_WAIT: Duration = Duration::from_secs(5);

/// What the loop does besides drawing: ring the bell, copy to the clipboard.
pub trait TerminalEffects {
    fn bell(&mut self);
    fn copy(&mut self, text: &str);
}

/// Effects for a real terminal: BEL and OSC 52 written to stdout.
pub struct StdoutEffects;

impl TerminalEffects for StdoutEffects {
    fn bell(&mut self) {
        use std::io::Write as _;
        let mut out = io::stdout();
        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
    }

    fn copy(&mut self, text: &str) {
        use base64::Engine as _;
        use std::io::Write as _;
        let mut out = io::stdout();
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        let sequence = format!("\x1b]52;c;{encoded}\x07");
        let _ = out
            .write_all(sequence.as_bytes())
            .and_then(|()| out.flush());
    }
}

/// Effects that are only recorded (tests, and headless runs).
#[derive(Debug, Default)]
pub struct RecordedEffects {
    pub bells: usize,
    pub copied: Vec<String>,
}

impl TerminalEffects for RecordedEffects {
    fn bell(&mut self) {
        self.bells += 1;
    }

    fn copy(&mut self, text: &str) {
        self.copied.push(text.to_string());
    }
}

/// Settings of the loop.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub render: RenderOptions,
    /// The slow refresh of balances and history.
    pub refresh_every: Duration,
    pub poll: PollSettings,
    /// Where the loop reads the time the app is told (the system's; tokio's in paused tests).
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("terminal error: {0}")]
    Terminal(String),
}

/// Called after every frame with the state and what was drawn (tests watch the screen).
pub type Observer<'a> = &'a mut (dyn FnMut(&App, &Buffer) + Send);

impl DetailsSource for ApiClient {
    async fn exchange_details(&self, id: String) -> Result<ExchangeDetails, ApiError> {
        ApiClient::exchange_details(self, &id).await
    }

    async fn order_details(&self, id: String) -> Result<OrderDetails, ApiError> {
        ApiClient::order_details(self, &id).await
    }
}

/// Runs the dashboard until the user quits or input ends; returns the final state.
///
/// `journal` is where money-moving steps are recorded; without one, trading is refused (the
/// app is told so by whoever builds it, and the submit tasks refuse to send).
#[allow(clippy::too_many_arguments)] // each is a distinct collaborator; a struct would only rename them
pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    mut events: E,
    mut app: App,
    startup: Vec<Cmd>,
    client: ApiClient,
    journal: Option<JournalWriter>,
    options: RunOptions,
    effects: &mut (dyn TerminalEffects + Send),
    mut observer: Option<Observer<'_>>,
) -> Result<App, RunError>
where
    B: Backend,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let clock = options.clock;
    let (to_app, mut from_tasks) = mpsc::unbounded_channel::<Msg>();
    // Changes of the watch set, in order (each is applied on top of the ones before).
    let (watch_tx, watch_rx) = mpsc::unbounded_channel::<WatchChange>();
    // One budget for everything the desk sends: every request of `client` and its clones
    // waits for it, the poller's checks first (after money, which never waits).
    let budget = client
        .budget()
        .cloned()
        .unwrap_or_else(|| RequestBudget::new(options.poll.max_requests_per_second));
    let client = client.with_budget(budget.clone());
    let mut budget_told = budget.subscribe();
    // The poller retries on its own schedule: one attempt per check, and it takes the budget's
    // slot itself before it chooses the row (so its client does not wait a second time).
    let poller_task = tokio::spawn(poller::run(
        client.single_attempt().without_budget(),
        options.poll,
        budget,
        watch_rx,
        to_app.clone(),
    ));
    // Only a desk whose profile names a relay opens its event stream.
    let push_task = app
        .team
        .relay
        .then(|| tokio::spawn(team_push::run(client.clone(), to_app.clone())));
    let executor = Executor {
        client,
        journal,
        to_app,
        watch_tx,
    };
    let mut refresh = tokio::time::interval_at(
        Instant::now() + options.refresh_every,
        options.refresh_every,
    );
    refresh.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let mut first = startup;
    // The app knows the size before the first key: below the minimum only quitting works.
    if let Some(resized) = size_of(terminal) {
        first.extend(app.update(resized, clock.now()));
    }
    first.extend(app.init());
    let first = with_new_poller(&mut app, first);
    let mut quit = executor.execute(first, effects);
    let mut dirty = true;
    let mut throttle = throttle_watch::ThrottleWatch::default();
    while !quit && !app.should_quit {
        if let Some(msg) = throttle.changed(&executor.client) {
            quit = executor.execute(app.update(msg, clock.now()), effects);
            dirty = true;
        }
        if dirty {
            let frame = terminal
                .draw(|frame| ui::render(&app, frame, &options.render))
                .map_err(|error| RunError::Terminal(error.to_string()))?;
            // Locked terms count as seen only once a frame showed them.
            app.frame_drawn(clock.now(), ui::shows_ticket(&app, frame.area));
            app.approval_drawn(clock.now());
            if let Some(observe) = observer.as_mut() {
                observe(&app, frame.buffer);
            }
            dirty = false;
            // The frame told the app its pane heights: a tall history pane may want a page.
            let wanted = app.after_frame();
            if !wanted.is_empty() {
                quit |= executor.execute(wanted, effects);
            }
        }
        let animation = app.animation_interval();
        let idle = idle_wait(&app, clock.now());
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match msg_from_terminal(&event) {
                    Some(msg) => msg,
                    None => continue,
                },
                Some(Err(error)) => {
                    tracing::warn!(%error, "terminal input error");
                    continue;
                }
                // Input is gone (terminal closed): nothing can be typed, stop cleanly.
                None => break,
            },
            Some(msg) = from_tasks.recv() => msg,
            Ok(()) = budget_told.changed() => Msg::OwnBudget(*budget_told.borrow_and_update()),
            _ = refresh.tick() => Msg::RefreshDue,
            () = sleep_or_pending(animation) => Msg::Tick,
            () = tokio::time::sleep(idle) => Msg::Tick,
        };
        quit = executor.execute(app.update(msg, clock.now()), effects);
        for _ in 0..MAX_MSGS_PER_FRAME {
            if quit {
                break;
            }
            let Ok(msg) = from_tasks.try_recv() else {
                break;
            };
            quit = executor.execute(app.update(msg, clock.now()), effects);
        }
        dirty = true;
    }
    poller_task.abort();
    if let Some(task) = push_task {
        task.abort();
    }
    flush_journal(executor.journal.as_ref()).await;
    Ok(app)
}

/// Every line queued so far reaches the disk before the loop hands back (then main exits).
async fn flush_journal(journal: Option<&JournalWriter>) {
    if let Some(journal) = journal
        && tokio::time::timeout(JOURNAL_FLUSH_WAIT, journal.flushed())
            .await
            .is_err()
    {
        tracing::error!("the journal did not confirm its last lines before exit");
    }
}

/// The terminal's size as the app's resize message (`None`: the terminal cannot say).
fn size_of<B: Backend>(terminal: &Terminal<B>) -> Option<Msg> {
    let size = terminal.size().ok()?;
    Some(Msg::Resize {
        width: size.width,
        height: size.height,
    })
}

/// What a terminal event means to the app: `None` for a key release, a key we have no name
/// for, or an event the app does not use (focus, mouse).
fn msg_from_terminal(event: &Event) -> Option<Msg> {
    match event {
        Event::Key(key) => KeyPress::from_crossterm(key).map(Msg::Key),
        Event::Paste(text) => Some(Msg::Paste(text.clone())),
        Event::Resize(width, height) => Some(Msg::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

/// `cmds` for a poller that has just started: any watch change computed before it is replaced
/// by the whole set ([`App::poller_started`]), so the poller, which knows nothing yet, is told
/// exactly what the rows want (an app can outlive a poller: the CLI runs one per step).
fn with_new_poller(app: &mut App, mut cmds: Vec<Cmd>) -> Vec<Cmd> {
    cmds.retain(|cmd| !matches!(cmd, Cmd::Watch(_)));
    cmds.extend(app.poller_started());
    cmds
}

/// Runs `Cmd`s: spawns a task per API call; never awaits one in the loop.
struct Executor {
    client: ApiClient,
    journal: Option<JournalWriter>,
    to_app: mpsc::UnboundedSender<Msg>,
    watch_tx: mpsc::UnboundedSender<WatchChange>,
}

impl Executor {
    /// Runs commands; returns true when one of them is `Quit`.
    fn execute(&self, cmds: Vec<Cmd>, effects: &mut (dyn TerminalEffects + Send)) -> bool {
        let mut quit = false;
        for cmd in cmds {
            match cmd {
                Cmd::Quit => quit = true,
                Cmd::Watch(change) => {
                    let _ = self.watch_tx.send(change);
                }
                Cmd::Bell => effects.bell(),
                Cmd::Journal(entry) => self.journal_line(entry),
                Cmd::CopyToClipboard(text) => effects.copy(&text),
                other => self.spawn(other),
            }
        }
        quit
    }

    /// Queues a journal line before anything else happens (a quit right after it included);
    /// a task waits for the disk and tells the app whether it was written.
    fn journal_line(&self, entry: Entry) {
        let Some(journal) = &self.journal else {
            return;
        };
        let written = journal.enqueue(entry);
        let to_app = self.to_app.clone();
        tokio::spawn(async move {
            let _ = to_app.send(match written.await {
                Ok(()) => Msg::JournalWritten,
                Err(error) => Msg::JournalFailed {
                    error: error.to_string(),
                },
            });
        });
    }

    #[allow(clippy::too_many_lines)] // one short arm per Cmd, kept exhaustive on purpose
    fn spawn(&self, cmd: Cmd) {
        let client = self.client.clone();
        let to_app = self.to_app.clone();
        let journal = self.journal.clone();
        tokio::spawn(async move {
            let msg = match cmd {
                Cmd::LoadBalances => Msg::BalancesLoaded(client.balances().await),
                Cmd::LoadHistory { page, limit, why } => Msg::HistoryLoaded {
                    page,
                    result: client
                        .at_priority(why.priority())
                        .transactions(page, limit)
                        .await,
                },
                Cmd::ScheduleRefresh { seq, after } => {
                    tokio::time::sleep(after).await;
                    Msg::RetryRefreshDue { seq }
                }
                Cmd::ScheduleFinalRefresh { after } => {
                    tokio::time::sleep(after).await;
                    Msg::FinalRefreshDue
                }
                Cmd::SchedulePrice { seq, after } => {
                    tokio::time::sleep(after).await;
                    Msg::PriceDue { seq }
                }
                Cmd::LoadPrice { seq, request } => Msg::Priced {
                    seq,
                    result: request.send(&client).await,
                },
                Cmd::Lock { seq, request } => Msg::Locked {
                    seq,
                    result: request.send(&client).await,
                },
                Cmd::Submit {
                    intent,
                    post,
                    deadline,
                } => {
                    tasks::submit(client, journal, intent, post, deadline, to_app).await;
                    return;
                }
                Cmd::ScheduleJournalCheck { after } => {
                    tokio::time::sleep(after).await;
                    Msg::JournalCheckDue
                }
                Cmd::ScheduleReconcile { intent, after } => {
                    tokio::time::sleep(after).await;
                    Msg::ReconcileDue { intent }
                }
                Cmd::Export {
                    path,
                    what,
                    source,
                    as_of,
                } => {
                    let written = tokio::task::spawn_blocking(move || {
                        crate::cli::export::write(&path, &source, &what, as_of)
                            .map(|rows| (path, rows))
                            .map_err(|error| error.to_string())
                    })
                    .await;
                    Msg::Exported(written.unwrap_or_else(|error| Err(error.to_string())))
                }
                Cmd::Reconcile { intent, query } => {
                    tasks::reconcile(client, intent, query, to_app).await;
                    return;
                }
                cmd @ (Cmd::CheckNow(_)
                | Cmd::LoadTeamPending
                | Cmd::LoadProposals
                | Cmd::ApproveProposal { .. }) => {
                    team_push::execute(cmd, client, journal, to_app).await;
                    return;
                }
                // Handled synchronously by `execute`.
                Cmd::Quit
                | Cmd::Watch(_)
                | Cmd::Bell
                | Cmd::CopyToClipboard(_)
                | Cmd::Journal(_) => return,
            };
            let _ = to_app.send(msg);
        });
    }
}

/// Waits `interval`; zero is "on the next turn": one yield to the scheduler, so input and
/// answers already waiting are taken first, and no timer (whose 1 ms granularity would cost a
/// turn 1-2 ms).
async fn sleep_or_pending(interval: Option<Duration>) {
    match interval {
        Some(Duration::ZERO) => tokio::task::yield_now().await,
        Some(interval) => tokio::time::sleep(interval).await,
        None => std::future::pending().await,
    }
}

/// How long the loop may sleep with nothing happening: until the header clock's minute turns
/// or an "ago" text on screen changes (`App::next_redraw_at`), whichever is first. Computed from
/// state and the clock, so a paused-clock test advances straight to the next change.
fn idle_wait(app: &App, now: chrono::DateTime<Utc>) -> Duration {
    let minute = clock::until_next_minute(now);
    let ago = app
        .next_redraw_at(now)
        .and_then(|at| (at - now).to_std().ok())
        .map_or(minute, |left| left + Duration::from_millis(5));
    minute.min(ago).max(Duration::from_millis(50))
}
