//! `p100-desk history` streams: 10,000 rows go through in the memory 1,000 rows take (peak RSS
//! of the child, sampled from /proc), each row exactly once.

#[path = "cli_support/mod.rs"]
mod support;

use std::collections::HashSet;

use support::{Home, run_async, sandbox};

/// What 9,000 more rows may add to the peak RSS. Holding them would cost several MiB (each
/// row is a few hundred bytes decoded, more as JSON text); streaming costs none.
const FLAT_TOLERANCE_KIB: u64 = 1_536;

/// Streams the whole history of a sandbox with `extra` synthetic rows; returns the rows
/// written and the peak RSS in KiB.
async fn stream(extra: usize) -> (usize, u64) {
    let sandbox = sandbox(extra).await;
    let home = Home::new();
    let run = run_async(home.against(
        &sandbox,
        &["history", "--format", "ndjson", "--page-size", "200"],
    ))
    .await;
    run.expect_code(0);
    let mut ids = HashSet::new();
    for line in run.stdout.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        let id = row["id"].as_str().expect("an id").to_owned();
        assert!(ids.insert(id), "a row was written twice: {line}");
    }
    sandbox.shutdown().await;
    let peak = run.peak_rss_kib.expect("peak RSS read from /proc");
    (ids.len(), peak)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rows_stream_in_flat_memory() {
    let (small_rows, small_peak) = stream(1_000).await;
    let (large_rows, large_peak) = stream(10_000).await;
    assert_eq!(large_rows - small_rows, 9_000, "every row, once");
    println!("peak RSS: {small_rows} rows {small_peak} KiB, {large_rows} rows {large_peak} KiB");
    assert!(
        large_peak <= small_peak + FLAT_TOLERANCE_KIB,
        "memory grew with the history: {small_rows} rows {small_peak} KiB, \
         {large_rows} rows {large_peak} KiB"
    );
}
