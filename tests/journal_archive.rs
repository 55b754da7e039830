//! The journal's archive seen from outside: a desk that starts compacts finished old intents
//! into the archive and still knows every id they hold (none can be claimed by another
//! intent), and `p100-desk journal` (every format, --summary, --since) reads archive and live
//! journal as one, with numbers alone in numeric columns (issue 13).

#[path = "cli_support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use p100_desk::app::{App, EnvBadge, SessionInfo};
use p100_desk::journal::{self, Entry, Event, Journal};
use support::{Home, run};

fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days)
}

fn line(intent: &str, at: DateTime<Utc>, event: Event) -> Entry {
    Entry {
        at,
        profile: "main".into(),
        environment: "production".into(),
        intent: intent.into(),
        event,
    }
}

/// An order from 200 days ago, completed (archived on the next start), and an exchange from
/// 100 days ago still pending (stays live however old).
fn write_journal(path: &Path) {
    let mut journal = Journal::open(path).expect("journal");
    for entry in [
        line(
            "ord-old",
            days_ago(200),
            Event::OrderIntent {
                currency: "usdc".into(),
                network: "polygon".into(),
                fiat_amount: Decimal::new(150, 0),
                fiat_currency: "eur".into(),
                crypto_amount: Decimal::new(16_302, 2),
                rate: Decimal::new(920_080, 6),
                lock_id: "lock-ord".into(),
            },
        ),
        line(
            "ord-old",
            days_ago(200),
            Event::Accepted {
                remote_id: "order-archived-1".into(),
                attempt: None,
            },
        ),
        line(
            "ord-old",
            days_ago(199),
            Event::Final {
                status: "COMPLETED".into(),
                reason: None,
            },
        ),
        line(
            "ex-open",
            days_ago(100),
            Event::ExchangeIntent {
                from: "eth".into(),
                to: "eur".into(),
                amount: Decimal::new(-15, 1),
                amount_to: Decimal::new(375_018, 2),
                rate: Decimal::new(250_012, 2),
                lock_id: "lock-ex".into(),
            },
        ),
        line(
            "ex-open",
            days_ago(100),
            Event::Accepted {
                remote_id: "exchange-live-1".into(),
                attempt: None,
            },
        ),
    ] {
        journal.append(&entry).expect("append");
    }
}

fn session() -> SessionInfo {
    SessionInfo {
        environment: EnvBadge::Production,
        profile: "main".into(),
        read_only: false,
        bell: false,
        max_exchange_eur: None,
    }
}

/// Starts a desk on `path` the way a session does, archiving after 90 days.
fn start_desk(path: &Path) -> App {
    let mut app = App::new(session(), Utc::now());
    let (_startup, writer) = p100_desk::session::attach_journal_archiving(
        &mut app,
        path,
        true,
        Some(Duration::days(90)),
    );
    assert!(writer.is_some(), "the journal opens for writing");
    app
}

fn journal_path(home: &Home) -> PathBuf {
    home.data_dir()
        .join("journal")
        .join("main-production.jsonl")
}

#[test]
fn archived_ids_stay_claimed_across_restarts() {
    let home = Home::new();
    let path = journal_path(&home);
    write_journal(&path);
    let app = start_desk(&path);
    let live = std::fs::read_to_string(&path).expect("live");
    assert!(!live.contains("ord-old"), "archived on start: {live}");
    assert!(live.contains("ex-open"), "pending stays live: {live}");
    let archive = std::fs::read_to_string(journal::archive::archive_path(&path)).expect("archive");
    assert_eq!(archive.lines().count(), 3, "{archive}");
    for app in [app, start_desk(&path)] {
        let records = &app.records;
        assert_eq!(records.holders("order-archived-1"), ["ord-old"]);
        assert!(records.held_by_another("order-archived-1", "ex-open"));
        assert!(records.held_by_another("order-archived-1", "a-new-intent"));
        assert!(
            records
                .claimed_ids()
                .contains(&"order-archived-1".to_string())
        );
        assert!(records.held_by_another("exchange-live-1", "ord-old"));
    }
}

fn started(home: &Home) {
    let path = journal_path(home);
    write_journal(&path);
    drop(start_desk(&path));
    assert!(journal::archive::archive_path(&path).exists());
}

#[test]
fn the_journal_command_reads_archive_and_live_journal_as_one() {
    let home = Home::new();
    started(&home);

    let json = run(home.command(&["journal", "--format", "json"]));
    json.expect_code(0);
    let lines = json.json();
    let events: Vec<(&str, &str)> = lines
        .as_array()
        .expect("array")
        .iter()
        .map(|line| {
            (
                line["intent"].as_str().unwrap_or_default(),
                line["event"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("ord-old", "order_intent"),
            ("ord-old", "accepted"),
            ("ord-old", "final"),
            ("ex-open", "exchange_intent"),
            ("ex-open", "accepted"),
        ]
    );

    let ndjson = run(home.command(&["journal", "--format", "ndjson"]));
    ndjson.expect_code(0);
    assert_eq!(ndjson.stdout.lines().count(), 5, "{}", ndjson.stdout);

    let table = run(home.command(&["journal"]));
    table.expect_code(0);
    assert!(table.stdout.contains("ord-old"), "{}", table.stdout);
    assert!(table.stdout.contains("accepted as order-archived-1"));

    let summary = run(home.command(&["journal", "--summary", "--format", "json"]));
    summary.expect_code(0);
    let rows = summary.json();
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["intent"], "ord-old");
    assert_eq!(rows[0]["remote_id"], "order-archived-1");
    assert_eq!(rows[0]["final_status"], "COMPLETED");
    assert_eq!(rows[0]["amount_to"], "150");
    assert_eq!(rows[0]["currency_to"], "eur");
    assert_eq!(rows[1]["outcome"], "accepted");

    // --since leaves the archived order out, in both listings.
    let since = (Utc::now() - Duration::days(150))
        .format("%Y-%m-%d")
        .to_string();
    let recent = run(home.command(&["journal", "--since", &since, "--format", "json"]));
    recent.expect_code(0);
    assert_eq!(recent.json().as_array().map(Vec::len), Some(2));
    let recent = run(home.command(&[
        "journal",
        "--summary",
        "--since",
        &since,
        "--format",
        "json",
    ]));
    recent.expect_code(0);
    let rows: Value = recent.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["intent"], "ex-open");
}

/// Issue 13: `journal --format csv` had `amount_to` holding "150 eur"; every amount and rate
/// column now holds a number alone, with its currency in a column of its own.
#[test]
fn plain_csv_keeps_numbers_in_numeric_columns() {
    let home = Home::new();
    started(&home);
    for args in [
        &["journal", "--format", "csv"][..],
        &["journal", "--csv"][..],
        &["journal", "--summary", "--format", "csv"][..],
    ] {
        let csv = run(home.command(args));
        csv.expect_code(0);
        let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
        let header = reader.headers().expect("header").clone();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{args:?}: no {name} column in {header:?}"))
        };
        let (amount, amount_to, rate) = (column("amount"), column("amount_to"), column("rate"));
        let (currency, currency_to) = (column("currency"), column("currency_to"));
        let mut intents = 0;
        for record in reader.records() {
            let record = record.expect("row");
            if record[amount].is_empty() {
                continue; // a line that is not an intent: no amounts
            }
            intents += 1;
            for at in [amount, amount_to, rate] {
                assert!(
                    record[at].parse::<Decimal>().is_ok(),
                    "{args:?}: {:?} is a number alone",
                    &record[at]
                );
            }
            assert!(
                ["usdc", "eth"].contains(&&record[currency]),
                "{args:?}: {record:?}"
            );
            assert_eq!(&record[currency_to], "eur", "{args:?}: {record:?}");
        }
        assert_eq!(intents, 2, "{args:?}: {}", csv.stdout);
        assert!(csv.stdout.contains(",150,eur,"), "{args:?}: {}", csv.stdout);
        assert!(
            csv.stdout.contains(",-1.5,eth,"),
            "{args:?}: negative amounts stay numbers: {}",
            csv.stdout
        );
    }
}
