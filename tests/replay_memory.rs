//! Journal replay keeps memory per intent, not per line read: a journal whose intents carry
//! a hundred lines each replays into the same heap as one whose intents carry three (issue 11,
//! goal 6). Measured by a counting global allocator (heap bytes still held when the replay is
//! done), not RSS. The counters are global, so this binary holds this one test.

use std::alloc::System;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use p100_desk::journal::{self, Entry, Event};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated and not yet freed.
fn live_heap_bytes() -> usize {
    let stats = GLOBAL.stats();
    stats
        .bytes_allocated
        .saturating_sub(stats.bytes_deallocated)
}

const INTENTS: usize = 2_000;

fn at(second: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000 + second, 0).unwrap_or_default()
}

fn line(intent: &str, second: i64, event: Event) -> String {
    let entry = Entry {
        at: at(second),
        profile: "treasury".into(),
        environment: "production".into(),
        intent: intent.into(),
        event,
    };
    serde_json::to_string(&entry).expect("an entry serializes")
}

/// `INTENTS` exchanges, each with its intent and accepted lines and `extra` read-back lines
/// (as the reconciler writes them while it checks), interleaved as desks write them.
fn journal_with(extra: usize) -> Vec<u8> {
    let mut text = String::new();
    for n in 0..INTENTS {
        let intent = format!("ex-20261202T000000000-{n}");
        text.push_str(&line(
            &intent,
            0,
            Event::ExchangeIntent {
                from: "usdc".into(),
                to: "eur".into(),
                amount: Decimal::new(10_000 + i64::try_from(n).unwrap_or(0), 2),
                amount_to: Decimal::new(9_000, 2),
                rate: Decimal::new(9, 1),
                lock_id: format!("lock-{n}"),
            },
        ));
        text.push('\n');
        text.push_str(&line(
            &intent,
            1,
            Event::Accepted {
                remote_id: format!("{n:08x}-7d1c-4e2a-9b3f-000000000000"),
                attempt: None,
            },
        ));
        text.push('\n');
    }
    for round in 0..extra {
        for n in 0..INTENTS {
            let intent = format!("ex-20261202T000000000-{n}");
            text.push_str(&line(
                &intent,
                2 + i64::try_from(round).unwrap_or(0),
                Event::Reconciled {
                    remote_id: Some(format!("{n:08x}-7d1c-4e2a-9b3f-000000000000")),
                    note: format!("read back in round {round}"),
                },
            ));
            text.push('\n');
        }
    }
    text.into_bytes()
}

/// Heap bytes the replay holds when done, and what it folded.
fn replayed(bytes: &[u8]) -> (usize, journal::Replay) {
    let before = live_heap_bytes();
    let replay = journal::replay(bytes).expect("the journal reads");
    (live_heap_bytes().saturating_sub(before), replay)
}

#[test]
fn replay_memory_grows_with_the_intents_kept_not_the_lines_read() {
    let short = journal_with(1);
    let long = journal_with(98);
    let (short_held, short_replay) = replayed(&short);
    let (long_held, long_replay) = replayed(&long);
    assert_eq!(short_replay.records.len(), INTENTS);
    assert_eq!(long_replay.records.len(), INTENTS);
    assert!(short_replay.damaged_lines.is_empty() && long_replay.damaged_lines.is_empty());
    println!(
        "{INTENTS} intents: 3 lines each ({} KiB read): {short_held} B held; 100 lines each \
         ({} KiB read): {long_held} B held",
        short.len() / 1024,
        long.len() / 1024
    );
    // Thirty-three times the lines: the same heap, give or take what a record's strings
    // differ by (a few bytes each).
    let slack = 64 * INTENTS;
    assert!(
        long_held <= short_held + slack,
        "held {long_held} B after 100 lines per intent, {short_held} B after 3"
    );
}
