//! Shared by the headless-command tests: a clean home per test, the built binary pointed at a
//! sandbox running in the test process (so the test sees its counters and request log), and
//! a runner that reads the output as it comes and records the child's peak RSS.

#![allow(dead_code)] // each test crate uses a part

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use p100_desk::sandbox::{self, Pace, SandboxHandle, SandboxOptions};

/// Longest a command may take before the test fails (generous for a loaded 2-core CI).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A temporary home: config, data dir and journal live here, nothing else is read.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    /// `p100-desk ARGS` with a clean environment and no server configured.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_p100-desk"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("share"))
            .env("P100_DATA_DIR", self.data_dir())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Writes `config.toml` in this home: profile `desk`, the default, whose server is
    /// `sandbox`, followed by `settings` (TOML: bare keys belong to the profile, such as
    /// `max_exchange_eur = 50`; `[sections]` may follow). Returns its path for `--config`.
    pub fn config(&self, sandbox: &SandboxHandle, settings: &str) -> String {
        let path = self.path().join("config.toml");
        std::fs::write(
            &path,
            format!(
                "profile = \"desk\"\n[profiles.desk]\nbase_url = \"{}\"\n{settings}",
                sandbox.base_url()
            ),
        )
        .expect("config");
        path.display().to_string()
    }

    /// `p100-desk --config CONFIG ARGS` (a config from [`Home::config`]) with the sandbox's key
    /// in `P100_API_KEY`: the server comes from the profile, not from `--base-url`.
    pub fn configured(&self, config: &str, sandbox: &SandboxHandle, args: &[&str]) -> Command {
        let mut full = vec!["--config", config];
        full.extend_from_slice(args);
        let mut command = self.command(&full);
        command.env("P100_API_KEY", sandbox.api_key());
        command
    }

    /// `p100-desk --base-url SANDBOX ARGS` with the sandbox's key in `P100_API_KEY`.
    pub fn against(&self, sandbox: &SandboxHandle, args: &[&str]) -> Command {
        let mut full = vec!["--base-url", sandbox.base_url()];
        full.extend_from_slice(args);
        let mut command = self.command(&full);
        command.env("P100_API_KEY", sandbox.api_key());
        command
    }
}

/// `exchange --from eur --to eth --amount AMOUNT`, then `rest` (a guard, a format, `--watch`):
/// the trade most CLI tests place.
pub fn eur_to_eth<'a>(amount: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "exchange", "--from", "eur", "--to", "eth", "--amount", amount,
    ];
    args.extend_from_slice(rest);
    args
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The child's peak resident set (VmHWM), in KiB, as last read from /proc while it ran.
    pub peak_rss_kib: Option<u64>,
    pub took: Duration,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Fails with the output when the exit code is not `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `command` to completion (killed after PATIENCE), reading stdout and stderr as they
/// come and sampling the peak RSS every few milliseconds.
pub fn run(mut command: Command) -> Run {
    let started = Instant::now();
    let mut child = command.spawn().expect("p100-desk starts");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let mut peak = None;
    let status = loop {
        // Read before asking whether it exited: a reaped child has no /proc entry.
        if let Some(now) = peak_rss_kib(pid) {
            peak = Some(peak.map_or(now, |old: u64| old.max(now)));
        }
        if let Some(status) = child.try_wait().expect("wait for p100-desk") {
            break status;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            panic!("p100-desk did not exit within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = started.elapsed();
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Run {
        status,
        stdout: text(out.join().expect("stdout reader")),
        stderr: text(err.join().expect("stderr reader")),
        peak_rss_kib: peak,
        took,
    }
}

/// Runs the command off the async workers (the sandbox keeps serving meanwhile).
pub async fn run_async(command: Command) -> Run {
    tokio::task::spawn_blocking(move || run(command))
        .await
        .expect("runner thread")
}

/// A fast sandbox on loopback, with `history_rows` extra rows and no rate limit (the tests
/// count requests, not throttling), and locks that live long enough to be confirmed.
pub async fn sandbox(history_rows: usize) -> SandboxHandle {
    sandbox::spawn(SandboxOptions {
        pace: Pace::Fast,
        lock_ttl: Some(Duration::from_secs(30)),
        rate_limit: None,
        history_rows,
        api_key: format!("cli-test-{}", uuid::Uuid::new_v4().simple()),
        ..SandboxOptions::default()
    })
    .await
    .expect("sandbox starts")
}

/// The requests the sandbox received for `method path`.
pub fn requests(sandbox: &SandboxHandle, method: &str, path: &str) -> usize {
    sandbox
        .request_log()
        .iter()
        .filter(|record| record.method == method && record.path == path)
        .count()
}
