//! `p100-desk history --format ndjson` over 100,000 sandbox rows, as a user runs it: the built
//! binary against a sandbox on loopback (no rate limit), output thrown away. Criterion gives
//! the time per run (throughput in rows/s); one more run reports the child's peak RSS.
//!
//! `cargo bench --profile benchmarks --bench cli_history -- --warm-up-time 1 --measurement-time 20`
//! (the benchmarks profile builds into target/benchmarks, leaving target/release alone)

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use p100_desk::sandbox::{self, Pace, SandboxHandle, SandboxOptions};

const ROWS: usize = 100_000;

fn command(sandbox: &SandboxHandle, data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_p100-desk"));
    command
        .args([
            "--base-url",
            sandbox.base_url(),
            "history",
            "--format",
            "ndjson",
        ])
        .args(["--page-size", "200"])
        .env_clear()
        .env("HOME", data_dir)
        .env("P100_DATA_DIR", data_dir)
        .env("P100_API_KEY", sandbox.api_key())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// Runs once; returns the lines written and the peak RSS (VmHWM) in KiB.
fn run_once(sandbox: &SandboxHandle, data_dir: &std::path::Path) -> (usize, u64) {
    let mut child = command(sandbox, data_dir).spawn().expect("starts");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buffer = vec![0u8; 1 << 16];
        let mut lines = 0;
        loop {
            match stdout.read(&mut buffer) {
                Ok(0) | Err(_) => break lines,
                // A bench helper: no crate for one count.
                #[allow(clippy::naive_bytecount)]
                Ok(n) => lines += buffer[..n].iter().filter(|&&b| b == b'\n').count(),
            }
        }
    });
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
            {
                peak = peak.max(kib);
            }
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (reader.join().expect("reader"), peak)
}

fn history(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sandbox = runtime.block_on(async {
        sandbox::spawn(SandboxOptions {
            pace: Pace::Fast,
            rate_limit: None,
            history_rows: ROWS,
            ..SandboxOptions::default()
        })
        .await
        .expect("sandbox")
    });
    let home = tempfile::tempdir().expect("home");
    let (lines, peak) = run_once(&sandbox, home.path());
    println!("history --format ndjson: {lines} rows, peak RSS {peak} KiB");
    let mut group = c.benchmark_group("cli_history");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_function("ndjson_100k_rows", |b| {
        b.iter(|| run_once(&sandbox, home.path()));
    });
    group.finish();
    runtime.block_on(sandbox.shutdown());
}

criterion_group!(benches, history);
criterion_main!(benches);
