//! What the journal prints and exports is printable, and CSV cells cannot run as formulas
//! (issue 9, item 12): even a journal written before decoding made server text printable.

use chrono::{TimeZone as _, Utc};
use p100_desk::journal::{self, Entry, Event};
use p100_desk::printable::is_unprintable;

fn entry(event: Event) -> Entry {
    Entry {
        at: Utc
            .with_ymd_and_hms(2026, 12, 1, 9, 30, 0)
            .single()
            .expect("time"),
        profile: "stage".into(),
        environment: "stage".into(),
        intent: "i-1".into(),
        event,
    }
}

const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}evil\u{2066}\r\nnext";

#[test]
fn the_journal_printout_is_printable() {
    for event in [
        Event::Accepted {
            remote_id: format!("ex-{HOSTILE}"),
            attempt: None,
        },
        Event::Rejected {
            reason: HOSTILE.into(),
        },
        Event::Final {
            status: format!("DONE{HOSTILE}"),
            reason: Some(HOSTILE.into()),
        },
    ] {
        let line = journal::describe(&entry(event));
        assert!(!line.chars().any(is_unprintable), "{line:?}");
        assert!(line.contains("evil"), "{line:?}");
    }
}

#[test]
fn csv_cells_are_printable_and_defused() {
    let reasons = [
        "=HYPERLINK(\"http://evil\")",
        "+1+cmd",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        HOSTILE,
        "plain words",
    ];
    let entries: Vec<Entry> = reasons
        .iter()
        .map(|reason| {
            entry(Event::Rejected {
                reason: (*reason).to_owned(),
            })
        })
        .collect();
    let csv = journal::to_csv(&entries);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), reasons.len() + 1, "one line per entry: {csv:?}");
    for (row, reason) in rows[1..].iter().zip(reasons) {
        assert!(!row.chars().any(is_unprintable), "{row:?}");
        let last = row.rsplit(',').next().unwrap_or_default();
        let cell = last.trim_start_matches('"');
        if reason.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert!(
                cell.starts_with('\''),
                "{reason:?} is not defused in {row:?}"
            );
        }
    }
    assert!(rows.last().is_some_and(|row| row.ends_with(",plain words")));
}
