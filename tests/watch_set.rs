//! The poller is told changes of the watch set, not the whole set (issue 11, goal 3): with
//! 10,000 rows in flight, a row that goes final and a row that gets its id each reach the
//! poller as that one row, and the poller's schedule, fed only those changes, watches exactly
//! what the rows want. (What a change costs at 100, 1,000 and 10,000 rows is benched:
//! `poller/app_watch_change` in `benches/history.rs`.)

#[path = "support/live_load.rs"]
mod live_load;

use p100_desk::api::models::{ExchangeDetails, ExchangeStatus};
use p100_desk::app::cmd::Cmd;
use p100_desk::app::live::{Phase, WatchChange, WatchTarget};
use p100_desk::app::msg::Msg;
use p100_desk::poller::{PollSchedule, PollSettings};

const ROWS: u64 = 10_000;

fn watch_changes(cmds: &[Cmd]) -> Vec<&WatchChange> {
    cmds.iter()
        .filter_map(|cmd| match cmd {
            Cmd::Watch(change) => Some(change),
            _ => None,
        })
        .collect()
}

#[test]
fn with_ten_thousand_rows_in_flight_each_change_tells_the_poller_one_row() {
    let settings = PollSettings::default();
    let now = tokio::time::Instant::now();
    let mut schedule = PollSchedule::default();
    let mut app = live_load::desk_with_live_rows(0, false, 50);
    for n in (0..ROWS).rev() {
        app.live.push(live_load::live_row(n, false));
    }
    // The rows came in before the next update: it tells the poller all of them, at once.
    let first = app.update(Msg::Tick, live_load::t0());
    let [resumed] = watch_changes(&first)[..] else {
        panic!("one watch change: {:?}", watch_changes(&first));
    };
    assert!(resumed.removed.is_empty());
    assert_eq!(resumed.added.len(), usize::try_from(ROWS).expect("small"));
    schedule.apply(resumed, now, &settings);

    // An answer that repeats a row's status changes nothing to watch.
    let repeat = live_load::poll_reply(2, 0);
    assert!(watch_changes(&app.update(repeat, live_load::t0())).is_empty());

    // A row goes final: the poller is told to drop that row, and only it.
    let id = live_load::remote_id(2);
    assert!(live_load::is_exchange(2));
    let cmds = app.update(
        Msg::ExchangePolled {
            id: id.clone(),
            result: Ok(ExchangeDetails::status_only(
                id.clone(),
                ExchangeStatus::Completed,
            )),
        },
        live_load::t0(),
    );
    let removed = WatchChange::removing(vec![WatchTarget::Exchange(id.clone())]);
    assert_eq!(watch_changes(&cmds), vec![&removed]);
    schedule.apply(&removed, now, &settings);

    // A new row gets its id (a POST accepted): the poller is told to add that row, and only it.
    let mut row = live_load::live_row(ROWS + 1, false);
    let new_id = row.remote_id.take().expect("an id");
    row.phase = Phase::Sending;
    app.live.push(row);
    assert!(watch_changes(&app.update(Msg::Tick, live_load::t0())).is_empty());
    let key = app.live.rows[0].key.clone();
    {
        let mut row = app.live.find_by_key_mut(&key).expect("the new row");
        row.remote_id = Some(new_id.clone());
        row.phase = Phase::Pending {
            status: "QUEUED".into(),
        };
    }
    let cmds = app.update(Msg::Tick, live_load::t0());
    let added = WatchChange::adding(vec![WatchTarget::new(
        !live_load::is_exchange(ROWS + 1),
        new_id.clone(),
    )]);
    assert_eq!(watch_changes(&cmds), vec![&added]);
    schedule.apply(&added, now, &settings);

    // The schedule, told only these changes, watches what the rows want.
    let wanted = app.live.watch_targets();
    assert_eq!(schedule.len(), wanted.len());
    assert!(wanted.iter().all(|target| schedule.is_watched(target)));
    assert_eq!(app.watched(), wanted);

    // A new poller (the CLI starts one per step) is told the whole set again.
    let Some(Cmd::Watch(again)) = app.poller_started() else {
        panic!("the whole set for a new poller");
    };
    assert!(again.removed.is_empty());
    assert_eq!(again.added.len(), wanted.len());
    assert!(wanted.iter().all(|target| again.added.contains(target)));
    assert!(!schedule.is_watched(&WatchTarget::Exchange(id)));
    assert!(app.watched().iter().any(|target| match target {
        WatchTarget::Exchange(held) | WatchTarget::Order(held) => *held == new_id,
    }));
}
