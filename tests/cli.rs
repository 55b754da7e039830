//! The headless commands' read-only side, run as the built binary against a sandbox in this
//! process: every command and format, the JSON shapes field by field, the embedded sandbox
//! note, no colour in a pipe, a broken pipe, and the exit codes of errors.

#[path = "cli_support/mod.rs"]
mod support;

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use rust_decimal::Decimal;
use serde_json::Value;
use support::{Home, eur_to_eth, run, run_async, sandbox};

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string in {value}"))
}

fn decimal(value: &Value, field: &str) -> Decimal {
    text(value, field)
        .parse()
        .unwrap_or_else(|_| panic!("{field} is a decimal string in {value}"))
}

fn is_iso_utc(time: &str) -> bool {
    time.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(time).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_json_shape_field_by_field() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let run = run_async(home.against(&sandbox, &["balances", "--format", "json"])).await;
    run.expect_code(0);
    let json = run.json();
    assert!(is_iso_utc(text(&json, "rates_at")), "{json}");
    let rows = json["balances"].as_array().expect("balances array");
    assert!(rows.len() >= 5, "{json}");
    let eur = rows
        .iter()
        .find(|row| row["currency"] == "eur")
        .expect("eur row");
    assert_eq!(eur["kind"], "fiat");
    assert_eq!(decimal(eur, "amount"), sandbox.balance("eur").expect("eur"));
    assert_eq!(text(eur, "amount").split('.').nth(1).map(str::len), Some(2));
    assert_eq!(eur["status"], "ACTIVE");
    assert_eq!(eur["networks"], serde_json::json!([]));
    assert!(eur["wallet"].is_null());
    assert!(eur["iban"].is_string());
    let usdc = rows
        .iter()
        .find(|row| row["currency"] == "usdc")
        .expect("usdc row");
    assert_eq!(usdc["kind"], "crypto");
    assert!(usdc["status"].is_null());
    assert!(usdc["iban"].is_null());
    assert_eq!(
        text(usdc, "amount").split('.').nth(1).map(str::len),
        Some(6)
    );
    assert!(
        usdc["networks"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n == "polygon"))
    );
    let rate = decimal(usdc, "rate");
    let value = decimal(usdc, "eur_value");
    let expected = (decimal(usdc, "amount") * rate).round_dp(2);
    assert_eq!(value, expected);
    let sum: Decimal = rows
        .iter()
        .filter(|row| !row["eur_value"].is_null())
        .map(|row| decimal(row, "eur_value"))
        .sum();
    let total = decimal(&json, "total_eur");
    // Each value is rounded to cents; the total is the exact sum, rounded once.
    assert!((total - sum).abs() <= Decimal::new(1, 2) * Decimal::from(rows.len()));
    assert_eq!(json["unpriced"], 0);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_table_and_csv() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let table = run_async(home.against(&sandbox, &["balances"])).await;
    table.expect_code(0);
    assert!(table.stdout.starts_with("currency"), "{}", table.stdout);
    assert!(table.stdout.contains("Total ≈"), "{}", table.stdout);
    assert!(!table.stdout.contains('\u{1b}'), "no colour in a pipe");
    let csv = run_async(home.against(&sandbox, &["balances", "--format", "csv"])).await;
    csv.expect_code(0);
    let mut lines = csv.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("currency,kind,amount,rate_eur,eur_value,status,networks")
    );
    assert!(lines.any(|line| line.starts_with("eur,fiat,")));
    assert!(
        csv.stderr.contains("Total ≈"),
        "the total is for people: {}",
        csv.stderr
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_every_format_and_client_side_filters() {
    let sandbox = sandbox(500).await;
    let home = Home::new();
    let ndjson = run_async(home.against(
        &sandbox,
        &["history", "--format", "ndjson", "--page-size", "50"],
    ))
    .await;
    ndjson.expect_code(0);
    let rows: Vec<Value> = ndjson
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert!(rows.len() > 500, "{}", rows.len());
    let first = &rows[0];
    for field in ["id", "type", "status", "amount", "currency", "created_at"] {
        assert!(first[field].is_string(), "{field} in {first}");
    }
    for field in ["amount_to", "currency_to", "description"] {
        assert!(
            first.get(field).is_some(),
            "{field} present (maybe null) in {first}"
        );
    }
    assert!(is_iso_utc(text(first, "created_at")));
    decimal(first, "amount");
    let exchange = rows
        .iter()
        .find(|row| row["type"] == "EXCHANGE" && !row["amount_to"].is_null())
        .expect("an exchange row");
    decimal(exchange, "amount_to");
    assert!(exchange["currency_to"].is_string());

    let json = run_async(home.against(
        &sandbox,
        &[
            "history", "--format", "json", "--type", "exchange", "--limit", "7",
        ],
    ))
    .await;
    json.expect_code(0);
    let list = json.json();
    let list = list.as_array().expect("a JSON array");
    assert_eq!(list.len(), 7);
    assert!(list.iter().all(|row| row["type"] == "EXCHANGE"));

    let failed = run_async(home.against(
        &sandbox,
        &["history", "--format", "csv", "--status", "FAILED"],
    ))
    .await;
    failed.expect_code(0);
    let mut lines = failed.stdout.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("created_at,type,status,"))
    );
    assert!(lines.clone().count() > 0);
    assert!(lines.all(|line| line.split(',').nth(2) == Some("FAILED")));

    let since = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let none = run_async(home.against(
        &sandbox,
        &["history", "--format", "json", "--since", &since],
    ))
    .await;
    none.expect_code(0);
    assert_eq!(none.stdout, "[]\n");
    // Rows newer than --since come first: paging stops at the first page wholly older.
    assert!(none.stderr.contains("from 1 page(s)"), "{}", none.stderr);

    let table = run_async(home.against(&sandbox, &["history", "--limit", "3"])).await;
    table.expect_code(0);
    assert_eq!(table.stdout.lines().count(), 4, "header and 3 rows");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_quietly_with_exit_0() {
    let sandbox = sandbox(10_000).await;
    let home = Home::new();
    let mut command = home.against(&sandbox, &["history", "--format", "ndjson"]);
    command.stdout(Stdio::piped());
    let status = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("starts");
        let stdout = child.stdout.take().expect("piped");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("one line");
        assert!(first.starts_with('{'), "{first}");
        // The reader goes away, as `| head -1` does.
        let output = child.wait_with_output().expect("exits");
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    })
    .await
    .expect("runner");
    let (status, stderr) = status;
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_of_an_exchange_and_an_unknown_id() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let exchanged = run_async(home.against(
        &sandbox,
        &eur_to_eth("10", &["--min-rate", "0", "--format", "json"]),
    ))
    .await;
    exchanged.expect_code(0);
    let id = exchanged.json()["exchange_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let status = run_async(home.against(&sandbox, &["status", &id, "--format", "json"])).await;
    status.expect_code(0);
    let details = status.json();
    assert_eq!(details["kind"], "exchange");
    assert_eq!(details["id"], id.as_str());
    assert!(details["status"].is_string());
    assert!(details["final"].is_boolean());
    assert!(["pending", "succeeded", "failed"].contains(&text(&details, "outcome")));
    assert_eq!(decimal(&details, "amount"), Decimal::from(10));
    assert_eq!(details["currency_from"], "eur");
    assert_eq!(details["currency_to"], "eth");
    assert!(details["wallet_address"].is_null());
    let table = run_async(home.against(&sandbox, &["status", &id])).await;
    table.expect_code(0);
    assert!(table.stdout.contains(&format!("id  {id}")) || table.stdout.contains(&id));
    let csv = run_async(home.against(&sandbox, &["status", &id, "--format", "csv"])).await;
    csv.expect_code(0);
    assert!(csv.stdout.starts_with("kind,id,status,outcome,"));

    let unknown = run_async(home.against(&sandbox, &["status", "no-such-id"])).await;
    unknown.expect_code(7);
    assert_eq!(
        unknown.stderr.lines().count(),
        1,
        "one line: {}",
        unknown.stderr
    );
    sandbox.shutdown().await;
}

#[test]
fn no_server_configured_runs_the_embedded_sandbox_and_says_so() {
    let home = Home::new();
    let run = run(home.command(&["balances", "--format", "json"]));
    run.expect_code(0);
    assert!(run.stderr.contains("built-in sandbox"), "{}", run.stderr);
    assert!(
        run.json()["balances"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
}

#[test]
fn paths_and_config_check_never_show_the_key() {
    let home = Home::new();
    let key = "paths-test-key-0123456789";
    let mut paths = home.command(&[
        "--base-url",
        "http://127.0.0.1:9",
        "paths",
        "--format",
        "json",
    ]);
    paths.env("P100_API_KEY", key);
    let paths = run(paths);
    paths.expect_code(0);
    let list = paths.json();
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|row| row["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "config_file",
            "data_dir",
            "journal_dir",
            "journal",
            "journal_archive",
            "archive_index",
            "log_file"
        ]
    );
    let data = home.data_dir().display().to_string();
    assert_eq!(list[1]["path"], data.as_str());
    assert!(
        list[3]["path"]
            .as_str()
            .is_some_and(|p| p.starts_with(&data))
    );

    let mut check = home.command(&[
        "--base-url",
        "http://127.0.0.1:9",
        "config",
        "check",
        "--format",
        "json",
    ]);
    check.env("P100_API_KEY", key);
    let check = run(check);
    check.expect_code(0);
    let report = check.json();
    assert_eq!(report["valid"], true);
    assert_eq!(report["profile"], "env");
    assert_eq!(report["environment"], "custom");
    assert_eq!(report["base_url"], "http://127.0.0.1:9");
    assert_eq!(report["api_key"], "set (hidden)");
    assert_eq!(report["paths"]["balances"], "/v1/partner/balances");
    for output in [&paths.stdout, &paths.stderr, &check.stdout, &check.stderr] {
        assert!(!output.contains(key), "{output}");
    }
}

/// The archive and its index are listed beside the journal they belong to, and say when a
/// compaction has written them.
#[test]
fn paths_lists_the_journal_archive_and_its_index() {
    use p100_desk::journal::{Entry, Event, Journal};
    let home = Home::new();
    let paths = || {
        let mut command = home.command(&[
            "--base-url",
            "http://127.0.0.1:9",
            "paths",
            "--format",
            "json",
        ]);
        command.env("P100_API_KEY", "paths-archive-test-key");
        let run = run(command);
        run.expect_code(0);
        let rows = run.json();
        let row = |name: &str| {
            rows.as_array()
                .and_then(|rows| rows.iter().find(|row| row["name"] == name))
                .cloned()
                .unwrap_or_else(|| panic!("{name} in {rows}"))
        };
        (row("journal"), row("journal_archive"), row("archive_index"))
    };
    let (journal, archive, index) = paths();
    let journal_path = std::path::PathBuf::from(text(&journal, "path"));
    assert_eq!(
        text(&archive, "path"),
        journal_path
            .with_file_name("env-custom.archive.jsonl")
            .display()
            .to_string()
    );
    assert_eq!(
        text(&index, "path"),
        journal_path
            .with_file_name("env-custom.archive.index")
            .display()
            .to_string()
    );
    // Nothing compacted yet: neither is there.
    assert_eq!(archive["exists"], false, "{archive}");
    assert_eq!(index["exists"], false, "{index}");

    // A finished intent a year old, compacted the way a desk does at start-up.
    let year_ago = chrono::Utc::now() - chrono::Duration::days(365);
    let line = |event: Event| Entry {
        at: year_ago,
        profile: "env".into(),
        environment: "custom".into(),
        intent: "ex-old".into(),
        event,
    };
    let mut journal = Journal::open(&journal_path).expect("journal");
    for event in [
        Event::ExchangeIntent {
            from: "eth".into(),
            to: "eur".into(),
            amount: Decimal::ONE,
            amount_to: Decimal::new(2_500, 0),
            rate: Decimal::new(2_500, 0),
            lock_id: "lock-old".into(),
        },
        Event::Rejected {
            reason: "P433".into(),
        },
    ] {
        journal.append(&line(event)).expect("append");
    }
    let compacted = journal
        .compact(chrono::Utc::now() - chrono::Duration::days(90))
        .expect("compact");
    assert_eq!(compacted.intents, 1);
    drop(journal);
    let (journal, archive, index) = paths();
    for row in [&journal, &archive, &index] {
        assert_eq!(row["exists"], true, "{row}");
    }
}

#[test]
fn config_errors_exit_2_with_one_line() {
    let home = Home::new();
    let missing = run(home.command(&["--config", "/nonexistent/p100.toml", "balances"]));
    missing.expect_code(2);
    assert_eq!(
        missing.stderr.trim().lines().count(),
        1,
        "{}",
        missing.stderr
    );
    let profile = run(home.command(&["--profile", "nope", "config", "check"]));
    profile.expect_code(2);
    let bad_arg = run(home.command(&["history", "--since", "yesterday"]));
    bad_arg.expect_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_network_and_refusal_exit_codes() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let mut wrong_key = home.command(&["--base-url", sandbox.base_url(), "balances"]);
    wrong_key.env("P100_API_KEY", "not-the-sandbox-key");
    let wrong_key = run_async(wrong_key).await;
    wrong_key.expect_code(5);
    assert!(wrong_key.stderr.contains("xo2") || wrong_key.stderr.to_lowercase().contains("key"));
    assert!(!wrong_key.stderr.contains("not-the-sandbox-key"));

    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut offline = home.command(&[
        "--base-url",
        &format!("http://127.0.0.1:{port}"),
        "balances",
    ]);
    offline.env("P100_API_KEY", "some-key-12345678");
    let offline = run_async(offline).await;
    offline.expect_code(6);
    assert_eq!(
        offline.stderr.trim().lines().count(),
        1,
        "{}",
        offline.stderr
    );
    assert!(!offline.stderr.contains("panicked"));

    let refused =
        run_async(home.against(&sandbox, &["status", "missing", "--kind", "order"])).await;
    refused.expect_code(7);

    let read_only = run_async(home.against(
        &sandbox,
        &[
            "--read-only",
            "exchange",
            "--from",
            "eur",
            "--to",
            "eth",
            "--amount",
            "1",
            "--min-rate",
            "0",
        ],
    ))
    .await;
    read_only.expect_code(9);
    assert_eq!(sandbox.executions().exchanges, 0);
    sandbox.shutdown().await;
}

/// Exit code 1, "unexpected failure (e.g. stdout cannot be written)" in README's table, for
/// real: stdout on /dev/full, where every write fails with "No space left on device" (a full
/// disk under `> export.csv`). One line on stderr, no panic, and never exit 0 (a script must
/// not take a half-written export for a finished one), whether the command prints one answer
/// or streams pages.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_stdout_exits_1_with_one_line() {
    let sandbox = sandbox(2_000).await;
    let home = Home::new();
    for args in [
        &["balances", "--format", "json"][..],
        &["balances", "--format", "csv"][..],
        &["history", "--format", "ndjson"][..],
        &["history", "--format", "json"][..],
    ] {
        let mut command = home.against(&sandbox, args);
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens for writing");
        command.stdout(full);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("runner")
            .expect("p100-desk runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.trim().lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(
            lines[0].contains("cannot write the output"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    sandbox.shutdown().await;
}
