//! The dashboard's loop without a terminal, for the headless commands: the same executor,
//! tasks, poller and journal writer run an `App` until the caller has what it waited for.

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Executor, JOURNAL_FLUSH_WAIT, JournalWriter, RecordedEffects, with_new_poller};
use crate::api::ApiClient;
use crate::api::RequestBudget;
use crate::app::App;
use crate::app::cmd::Cmd;
use crate::app::live::WatchChange;
use crate::app::msg::Msg;
use crate::poller::{self, PollSettings};

/// Runs `first` and every command the app asks for after it, feeding each task's answer to
/// `app.update`, until `done(app)` holds (true) or `deadline` passes (false). Every journal
/// line queued by then is on disk when this returns.
pub async fn run_headless(
    app: &mut App,
    first: Vec<Cmd>,
    client: ApiClient,
    journal: Option<JournalWriter>,
    poll: PollSettings,
    deadline: Instant,
    mut done: impl FnMut(&App) -> bool,
) -> bool {
    let (to_app, mut from_tasks) = mpsc::unbounded_channel::<Msg>();
    let (watch_tx, watch_rx) = mpsc::unbounded_channel::<WatchChange>();
    let poller_task = tokio::spawn(poller::run(
        client.single_attempt().without_budget(),
        poll,
        client
            .budget()
            .cloned()
            .unwrap_or_else(|| RequestBudget::new(poll.max_requests_per_second)),
        watch_rx,
        to_app.clone(),
    ));
    let executor = Executor {
        client,
        journal,
        to_app,
        watch_tx,
    };
    // No terminal: a bell or a clipboard copy is only recorded.
    let mut effects = RecordedEffects::default();
    executor.execute(with_new_poller(app, first), &mut effects);
    let finished = loop {
        if done(app) {
            break true;
        }
        let msg = tokio::select! {
            Some(msg) = from_tasks.recv() => msg,
            () = tokio::time::sleep_until(deadline) => break false,
        };
        executor.execute(app.update(msg, Utc::now()), &mut effects);
    };
    poller_task.abort();
    if let Some(journal) = &executor.journal {
        if tokio::time::timeout(JOURNAL_FLUSH_WAIT, journal.flushed())
            .await
            .is_err()
        {
            tracing::error!("the journal did not confirm its last lines before exit");
        }
    }
    finished
}
