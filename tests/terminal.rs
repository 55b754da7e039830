//! Terminal end-to-end tests: the real `p100-desk` binary in a pseudo-terminal, typed at like a
//! person would, its output read into a vt100 screen. What these prove that the headless flow
//! tests cannot: the binary starts from its command line and config, draws on a real terminal,
//! and gives the terminal back (main screen, cursor, cooked mode) however it stops: `q`, a
//! panic, SIGTERM, SIGHUP, or the terminal going away.
//!
//! Every test has its own tempdir as HOME, XDG dirs, config file and data dir, so the
//! developer's real config and journal are never read. The embedded sandbox runs in fast pace
//! through the hidden `--sandbox-pace fast`. Nothing sleeps a fixed time: each step waits for
//! a screen (or exit) condition, up to [`PATIENCE`].
#![cfg(unix)]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use p100_desk::sandbox::{self, Pace, SandboxOptions};
use portable_pty::{
    ChildKiller, CommandBuilder, ExitStatus, MasterPty, PtySize, SlavePty, native_pty_system,
};

/// How long any condition may take before the test fails: generous for a loaded 2-core CI
/// machine; a passing step returns as soon as its condition holds.
const PATIENCE: Duration = Duration::from_secs(30);

/// The size every test starts at.
const COLS: u16 = 120;
const ROWS: u16 = 40;

/// F12 as an xterm sends it: the test-only panic key (with `P100_DESK_TEST_PANIC` set).
const F12: &str = "\x1b[24~";
const F11: &str = "\x1b[23~";

/// The exit code of a Rust program that panicked on its main thread.
const PANIC_EXIT_CODE: u32 = 101;

/// The config file every test starts from: quick polling, so a fast-pace exchange is seen
/// COMPLETED within a second or so.
const FAST_POLLING_CONFIG: &str = "\
[polling]
first_check_ms = 100
max_interval_ms = 500
max_requests_per_second = 50
";

/// What the PTY has shown so far: the raw bytes and the screen they draw.
struct Output {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// The reader hit end of file or an error: nothing more will arrive.
    closed: bool,
}

/// The output, filled by a reader thread and waited on with the condvar.
struct Shared {
    output: Mutex<Output>,
    changed: Condvar,
    /// Asks the reader thread to close its end of the PTY after its next read.
    stop_reading: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Output> {
        self.output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How to start the binary.
struct Launch {
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Launch {
    /// The embedded sandbox in fast pace.
    fn sandbox() -> Self {
        Self {
            args: vec!["--sandbox-pace".into(), "fast".into()],
            env: Vec::new(),
        }
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// A server of the test's own, as a custom environment (the key comes from the env).
    fn remote(base_url: &str) -> Self {
        Self {
            args: vec!["--base-url".into(), base_url.into()],
            env: Vec::new(),
        }
    }
}

/// The binary running in a PTY of its own, with its own tempdir.
struct Term {
    /// `None` once the test has hung up.
    master: Option<Box<dyn MasterPty + Send>>,
    /// Kept open by the test: a pty whose last slave closes has its settings reset, which would
    /// hide a binary that left the terminal in raw mode.
    slave: Option<Box<dyn SlavePty + Send>>,
    writer: Option<Box<dyn Write + Send>>,
    shared: Arc<Shared>,
    exit: mpsc::Receiver<ExitStatus>,
    /// The exit status once received from `exit`.
    exited: RefCell<Option<ExitStatus>>,
    killer: Box<dyn ChildKiller + Send + Sync>,
    pid: u32,
    tty: PathBuf,
    dir: tempfile::TempDir,
}

impl Term {
    fn start(launch: &Launch) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, FAST_POLLING_CONFIG).expect("write the config file");
        make_private(&config);

        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a PTY can be allocated: these tests need /dev/ptmx and /dev/pts");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_p100-desk"));
        // Nothing of the developer's environment (P100_API_KEY, P100_PROFILE, NO_COLOR ...).
        command.env_clear();
        let home = dir.path();
        command.env("HOME", home);
        command.env("XDG_CONFIG_HOME", home.join("xdg-config"));
        command.env("XDG_DATA_HOME", home.join("xdg-data"));
        command.env("TERM", "xterm-256color");
        for (name, value) in &launch.env {
            command.env(name, value);
        }
        command.arg("--config");
        command.arg(&config);
        command.arg("--data-dir");
        command.arg(home.join("data"));
        command.args(&launch.args);
        command.cwd(home);

        let child = pair
            .slave
            .spawn_command(command)
            .expect("the binary starts in the PTY");
        let pid = child.process_id().expect("the child has a pid");
        let killer = child.clone_killer();
        let (exit_tx, exit) = mpsc::channel();
        let mut child = child;
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });

        let shared = Arc::new(Shared {
            output: Mutex::new(Output {
                parser: vt100::Parser::new(cells(ROWS), cells(COLS), 0),
                raw: Vec::new(),
                closed: false,
            }),
            changed: Condvar::new(),
            stop_reading: AtomicBool::new(false),
        });
        let mut reader = pair.master.try_clone_reader().expect("PTY reader");
        let feed = Arc::clone(&shared);
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 8192];
            loop {
                let read = reader.read(&mut buffer);
                let mut output = feed.lock();
                match read {
                    Ok(n) if n > 0 => {
                        output.raw.extend_from_slice(&buffer[..n]);
                        output.parser.process(&buffer[..n]);
                    }
                    // EOF, or EIO once every slave is closed.
                    _ => output.closed = true,
                }
                if feed.stop_reading.load(Ordering::SeqCst) {
                    output.closed = true;
                }
                let closed = output.closed;
                drop(output);
                feed.changed.notify_all();
                if closed {
                    return;
                }
            }
        });
        let writer = pair.master.take_writer().expect("PTY writer");
        let tty = pair.master.tty_name().expect("the PTY has a device name");
        Self {
            master: Some(pair.master),
            slave: Some(pair.slave),
            writer: Some(writer),
            shared,
            exit,
            exited: RefCell::new(None),
            killer,
            pid,
            tty,
            dir,
        }
    }

    /// Types `text` as a burst of keys.
    fn type_text(&mut self, text: &str) {
        let writer = self.writer.as_mut().expect("the terminal is still open");
        writer
            .write_all(text.as_bytes())
            .and_then(|()| writer.flush())
            .expect("write to the PTY");
    }

    /// Waits until `probe` finds what it looks for in the screen and raw output, and returns
    /// it; fails with the screen if it never does. Frames arrive in pieces, so the screen may
    /// be half-drawn at any moment: every look at it is a probe that is retried, never a
    /// one-off assertion.
    fn wait_until<T>(&self, what: &str, probe: impl Fn(&vt100::Screen, &[u8]) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        let mut output = self.shared.lock();
        loop {
            if let Some(found) = probe(output.parser.screen(), &output.raw) {
                return found;
            }
            let now = Instant::now();
            assert!(
                now < deadline && !output.closed,
                "{} waiting for {what}; the screen shows:\n{}",
                if output.closed {
                    "the PTY closed"
                } else {
                    "timed out"
                },
                output.parser.screen().contents()
            );
            output = self
                .shared
                .changed
                .wait_timeout(output, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until the screen and raw output satisfy `condition`.
    fn wait_for(&self, what: &str, condition: impl Fn(&vt100::Screen, &[u8]) -> bool) {
        self.wait_until(what, |screen, raw| condition(screen, raw).then_some(()));
    }

    /// Waits until the reader thread has stopped.
    fn wait_until_read_closed(&self) {
        let deadline = Instant::now() + PATIENCE;
        let mut output = self.shared.lock();
        while !output.closed {
            let now = Instant::now();
            assert!(now < deadline, "the PTY reader did not stop");
            output = self
                .shared
                .changed
                .wait_timeout(output, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until the screen shows every one of `texts`.
    fn wait_for_text(&self, texts: &[&str]) {
        self.wait_for(&format!("{texts:?} on screen"), |screen, _| {
            let contents = screen.contents();
            texts.iter().all(|text| contents.contains(text))
        });
    }

    /// The screen's text now.
    fn contents(&self) -> String {
        self.shared.lock().parser.screen().contents()
    }

    /// Every byte the binary wrote so far.
    fn raw(&self) -> Vec<u8> {
        self.shared.lock().raw.clone()
    }

    /// Waits for the binary to exit.
    fn wait_exit(&self) -> ExitStatus {
        if let Some(status) = self.exited.borrow().clone() {
            return status;
        }
        let status = self.exit.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            panic!(
                "the binary did not exit within {PATIENCE:?}; the screen shows:\n{}",
                self.contents()
            )
        });
        self.exited.replace(Some(status.clone()));
        status
    }

    /// Whether the binary is still running.
    fn running(&self) -> bool {
        if self.exited.borrow().is_some() {
            return false;
        }
        match self.exit.try_recv() {
            Ok(status) => {
                self.exited.replace(Some(status));
                false
            }
            Err(mpsc::TryRecvError::Empty) => true,
            Err(mpsc::TryRecvError::Disconnected) => false,
        }
    }

    /// Resizes the terminal (the screen model first, so the redraw lands on the new size).
    fn resize(&self, cols: u16, rows: u16) {
        let mut output = self.shared.lock();
        output.parser.set_size(cells(rows), cells(cols));
        self.master
            .as_ref()
            .expect("the terminal is still open")
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the PTY");
    }

    /// Sends `signal` (a `kill -s` name) to the binary. `kill(1)` rather than libc: this crate
    /// forbids unsafe code.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {signal} {} failed", self.pid);
    }

    /// Closes the terminal as a terminal window or an SSH connection going away does: every
    /// master fd is closed, so the kernel hangs the tty up and sends SIGHUP to the binary.
    fn hang_up(&mut self) {
        // The reader thread holds a master fd of its own: ask it to stop, and make the binary
        // draw (the help overlay) so its blocked read returns.
        self.shared.stop_reading.store(true, Ordering::SeqCst);
        self.type_text("?");
        self.wait_until_read_closed();
        self.writer.take();
        self.master.take();
        self.slave.take();
    }

    /// The terminal's line settings as `stty -a` prints them, read from the outside.
    fn stty(&self) -> Vec<String> {
        let flag = if cfg!(target_os = "linux") {
            "-F"
        } else {
            "-f"
        };
        let output = Command::new("stty")
            .arg("-a")
            .arg(flag)
            .arg(&self.tty)
            .output()
            .expect("run stty");
        assert!(
            output.status.success(),
            "stty failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .split([' ', ';', '\n'])
            .map(str::to_owned)
            .collect()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_text(&self) -> String {
        let path = self.data_dir().join("logs").join("p100-desk.log");
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    /// Every journal line of the data dir; each must be a whole JSON object.
    fn journal_lines(&self) -> Vec<serde_json::Value> {
        let folder = self.data_dir().join("journal");
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(&folder).expect("the journal folder exists") {
            let path = entry.expect("journal entry").path();
            // Journals are `*.jsonl` (as `p100-desk journal` reads them); `*.jsonl.lock` holds
            // the pid of the desk that has one open.
            if path.extension().is_none_or(|ext| ext != "jsonl") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("journal readable");
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "{}: the last line is cut short:\n{text}",
                path.display()
            );
            for (number, line) in text.lines().enumerate() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|error| {
                    panic!(
                        "{} line {}: not JSON ({error}): {line}",
                        path.display(),
                        number + 1
                    )
                });
                assert!(
                    value.is_object(),
                    "{} line {}: {line}",
                    path.display(),
                    number + 1
                );
                lines.push(value);
            }
        }
        lines
    }

    /// Every byte the binary left behind: the PTY output, the log and the journal.
    fn everything_written(&self) -> Vec<(String, Vec<u8>)> {
        let mut all = vec![("the PTY output".to_owned(), self.raw())];
        all.push(("the log file".to_owned(), self.log_text().into_bytes()));
        let folder = self.data_dir().join("journal");
        for entry in std::fs::read_dir(&folder).expect("the journal folder exists") {
            let path = entry.expect("journal entry").path();
            let bytes = std::fs::read(&path).expect("journal readable");
            all.push((path.display().to_string(), bytes));
        }
        all
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.killer.kill();
            // Reaped before the test ends, so no zombie outlives the test process.
            let _ = self.exit.recv_timeout(PATIENCE);
        }
        // Closing the slave lets the reader thread see EIO and end.
        self.slave.take();
    }
}

fn cells(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal size is above zero")
}

fn make_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
}

/// The dashboard has loaded: balance rows (history may arrive first) and history rows.
fn wait_for_dashboard(term: &Term) {
    term.wait_for("the dashboard with balances and history", |screen, _| {
        dashboard_loaded(&screen.contents())
    });
}

fn dashboard_loaded(contents: &str) -> bool {
    let balances = balance_rows(contents);
    balances.first().is_some_and(|row| row == "EUR")
        && balances.iter().any(|row| row == "USDC")
        && contents.contains("History")
        && contents.contains("SUCCESSFUL")
}

/// The currencies of the balances pane (top left), top to bottom, read from the screen: the
/// first word of each row between its header and its bottom border.
fn balance_rows(contents: &str) -> Vec<String> {
    contents
        .lines()
        .skip_while(|line| !line.contains("Cur "))
        .skip(1)
        .take_while(|line| line.starts_with(['┃', '│']))
        .map(|line| {
            let pane = line.split(['┃', '│']).nth(1).unwrap_or_default();
            pane.trim_start_matches(['▶', ' ']).to_owned()
        })
        .take_while(|row| !row.starts_with("Total"))
        .filter_map(|row| row.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Sells `amount` of `currency` for EUR from the keyboard: focus balances, pick the row, `x`,
/// type the amount, Enter (lock), `y` (confirm); waits until the Live row is COMPLETED.
fn exchange_from_keyboard(term: &mut Term, currency: &str, amount: &str) {
    let index = term.wait_until(
        &format!("the dashboard with a {currency} balance"),
        |screen, _| {
            let contents = screen.contents();
            if !dashboard_loaded(&contents) {
                return None;
            }
            balance_rows(&contents)
                .iter()
                .position(|row| row == currency)
        },
    );
    term.type_text(&format!("1g{}", "j".repeat(index)));
    let selected = format!("▶ {currency} ");
    term.wait_for_text(&[&selected]);
    term.type_text("x");
    term.wait_for_text(&["New exchange", &format!("Sell       {currency}")]);
    term.type_text(amount);
    term.wait_for_text(&[&format!("Amount     {amount}")]);
    term.type_text("\r");
    term.wait_for_text(&["y CONFIRM", "Lock "]);
    term.type_text("y");
    term.wait_for("the Live row to reach COMPLETED", |screen, _| {
        screen.contents().contains("EXCHANGE COMPLETED")
    });
}

/// The terminal is as the shell left it: main screen, cursor shown, bracketed paste off, line
/// editing and echo on. Call once the binary has exited.
fn assert_terminal_restored(term: &Term) {
    term.wait_for(
        "the main screen, the cursor shown and bracketed paste off",
        |screen, _| {
            !screen.alternate_screen() && !screen.hide_cursor() && !screen.bracketed_paste()
        },
    );
    let stty = term.stty();
    for flag in ["icanon", "echo"] {
        assert!(
            stty.iter().any(|token| token == flag),
            "the terminal is not in cooked mode ({flag} missing): {stty:?}"
        );
    }
}

/// What main.rs prints on the main screen after a clean stop.
fn wait_for_goodbye(term: &Term) {
    term.wait_for_text(&["Journal: ", "Log file: "]);
}

fn assert_clean_exit(status: &ExitStatus, term: &Term) {
    assert!(
        status.success(),
        "exit status {status:?}; the screen shows:\n{}",
        term.contents()
    );
}

#[test]
fn starts_on_the_sandbox_and_shows_balances_and_history() {
    let term = Term::start(&Launch::sandbox());
    term.wait_for(
        "the SANDBOX badge, fiat and crypto balances and history rows",
        |screen, _| {
            let contents = screen.contents();
            let rows = balance_rows(&contents);
            let history_rows = contents
                .lines()
                .filter(|line| line.contains("SUCCESSFUL"))
                .count();
            contents.starts_with(" SANDBOX ")
                && ["EUR", "GBP", "USDC", "USDT"]
                    .iter()
                    .all(|currency| rows.iter().any(|row| row == currency))
                && contents.contains("History")
                && history_rows >= 3
        },
    );
}

#[test]
fn one_exchange_from_the_keyboard_reaches_completed() {
    let mut term = Term::start(&Launch::sandbox());
    exchange_from_keyboard(&mut term, "USDC", "100");
    term.wait_for_text(&["EXCHANGE COMPLETED", "100.000000 USDC →"]);
    let lines = term.journal_lines();
    let events: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.get("event").and_then(serde_json::Value::as_str))
        .collect();
    assert!(events.contains(&"exchange_intent"), "{events:?}");
}

#[test]
fn q_exits_zero_and_restores_the_terminal() {
    let mut term = Term::start(&Launch::sandbox());
    wait_for_dashboard(&term);
    // The control: while the dashboard runs, the same checks see raw mode and the alternate
    // screen, so the restored checks below cannot pass by accident.
    {
        let output = term.shared.lock();
        assert!(output.parser.screen().alternate_screen());
        assert!(output.parser.screen().hide_cursor());
    }
    let stty = term.stty();
    assert!(
        stty.iter().any(|token| token == "-icanon") && stty.iter().any(|token| token == "-echo"),
        "the dashboard should run in raw mode: {stty:?}"
    );
    // Without P100_DESK_TEST_PANIC, the test-only panic key is just an unbound key.
    term.type_text(F12);
    term.type_text("q");
    let status = term.wait_exit();
    assert_clean_exit(&status, &term);
    wait_for_goodbye(&term);
    assert_terminal_restored(&term);
}

/// The panic test, with a canary API key that must never be written anywhere.
#[test]
fn a_panic_restores_the_terminal_and_leaks_no_key() {
    let canary = format!("canary-{}", uuid::Uuid::new_v4().simple());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = runtime
        .block_on(sandbox::spawn(SandboxOptions {
            api_key: canary.clone(),
            pace: Pace::Fast,
            // The desk refuses to confirm within 2 s of expiry; fast-pace locks would be born
            // expired.
            lock_ttl: Some(Duration::from_secs(30)),
            ..SandboxOptions::default()
        }))
        .expect("the sandbox starts");
    let launch = Launch::remote(server.base_url())
        .env("P100_API_KEY", &canary)
        .env("P100_DESK_TEST_PANIC", "1")
        // Log everything, so a key in any event would reach the log file.
        .env("P100_LOG", "trace");
    let mut term = Term::start(&launch);
    exchange_from_keyboard(&mut term, "USDC", "100");
    term.type_text(F12);
    let status = term.wait_exit();
    assert_eq!(
        status.exit_code(),
        PANIC_EXIT_CODE,
        "a panic exits with Rust's panic code: {status:?}"
    );
    // The hook restores the terminal, then prints: the report starts at column 0 of the main
    // screen, not in a staircase of raw-mode lines or on the alternate screen that is thrown
    // away.
    term.wait_for("the panic report on the main screen", |screen, _| {
        let contents = screen.contents();
        contents
            .lines()
            .any(|line| line.starts_with("The application panicked"))
            && contents
                .lines()
                .any(|line| line.contains("test-only panic: F12 pressed"))
    });
    assert_terminal_restored(&term);
    let lines = term.journal_lines();
    assert!(!lines.is_empty(), "the exchange was journaled");
    let log = term.log_text();
    assert!(
        log.contains("test-only panic: F12 pressed"),
        "the panic should be in the log file too:\n{log}"
    );
    for (what, bytes) in term.everything_written() {
        let found = bytes
            .windows(canary.len())
            .filter(|window| *window == canary.as_bytes())
            .count();
        assert_eq!(found, 0, "the API key appears in {what}");
    }
    drop(term);
    runtime.block_on(server.shutdown());
}

/// A panic in a background task: tokio would catch it and the loop would draw on over a
/// terminal the hook has just given back. Instead the loop stops with a clear error (exit 1),
/// the terminal stays restored and the journal intact.
#[test]
fn a_background_panic_stops_the_dashboard_and_restores_the_terminal() {
    let launch = Launch::sandbox().env("P100_DESK_TEST_PANIC", "1");
    let mut term = Term::start(&launch);
    exchange_from_keyboard(&mut term, "USDC", "100");
    term.type_text(F11);
    let status = term.wait_exit();
    assert_eq!(
        status.exit_code(),
        1,
        "an error exit, not a crash: {status:?}"
    );
    term.wait_for("the reason on the main screen", |screen, _| {
        screen.contents().contains("a background task panicked")
    });
    assert_terminal_restored(&term);
    assert!(
        !term.journal_lines().is_empty(),
        "the exchange was journaled"
    );
    assert!(term.log_text().contains("test-only panic: F11 pressed"));
}

/// SIGTERM and SIGHUP (sent while the terminal stays open) stop the dashboard cleanly: main.rs
/// treats them as a request to stop, restores the terminal and exits 0.
fn a_signal_stops_cleanly(signal: &str) {
    let mut term = Term::start(&Launch::sandbox());
    exchange_from_keyboard(&mut term, "USDC", "100");
    term.signal(signal);
    let status = term.wait_exit();
    assert_clean_exit(&status, &term);
    wait_for_goodbye(&term);
    assert_terminal_restored(&term);
    assert!(
        !term.journal_lines().is_empty(),
        "the exchange was journaled"
    );
    let log = term.log_text();
    assert!(
        log.contains("stopped by a signal") && log.contains(signal),
        "the log should say why it stopped:\n{log}"
    );
}

#[test]
fn sigterm_restores_the_terminal_and_exits_zero() {
    a_signal_stops_cleanly("TERM");
}

#[test]
fn sighup_restores_the_terminal_and_exits_zero() {
    a_signal_stops_cleanly("HUP");
}

/// The terminal itself going away (a closed window, a dropped SSH connection): the binary gets
/// SIGHUP and a tty that fails every write. Whichever it notices first, it must stop without a
/// crash (before the fix it panicked while restoring the terminal, then aborted in the panic
/// hook): exit 0 after the SIGHUP, or 1 with the failed draw logged as the error that stopped
/// it, never a panic's 101 or death by a signal; the journal intact.
#[test]
fn closing_the_terminal_stops_without_a_crash() {
    let mut term = Term::start(&Launch::sandbox());
    exchange_from_keyboard(&mut term, "USDC", "100");
    term.hang_up();
    let status = term.wait_exit();
    let log = term.log_text();
    let stopped_by_signal = log.contains("stopped by a signal") && log.contains("SIGHUP");
    let stopped_by_draw = log.contains("the dashboard stopped on an error");
    assert!(
        status.signal().is_none()
            && match status.exit_code() {
                0 => stopped_by_signal,
                1 => stopped_by_draw,
                _ => false,
            },
        "exit status {status:?}; the log:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert!(
        !term.journal_lines().is_empty(),
        "the exchange was journaled"
    );
}

#[test]
fn a_tiny_terminal_shows_the_enlarge_notice_and_recovers() {
    let term = Term::start(&Launch::sandbox());
    wait_for_dashboard(&term);
    term.resize(20, 5);
    term.wait_for("the enlarge notice at 20x5", |screen, _| {
        let words = screen
            .contents()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        words.contains("Terminal too small: 20x5. Enlarge to at least 80x24.")
    });
    term.resize(COLS, ROWS);
    term.wait_for("the dashboard again at 120x40", |screen, _| {
        let contents = screen.contents();
        dashboard_loaded(&contents) && !contents.contains("Enlarge")
    });
    assert!(term.running(), "the binary died while resizing");
    assert!(!term.log_text().contains("panicked"), "{}", term.log_text());
}

/// Whether `raw` holds an SGR sequence that sets a colour (foreground, background, underline;
/// 8, 16, 256 or true colour). The resets to the default colour (39, 49, 59) set none and are
/// allowed; attributes such as bold or reverse are too.
fn sets_a_colour(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("\x1b[") {
        rest = &rest[start + 2..];
        let end = rest
            .find(|c: char| ('\u{40}'..='\u{7e}').contains(&c))
            .unwrap_or(rest.len());
        let (params, after) = rest.split_at(end);
        if after.starts_with('m') && !params.starts_with(['?', '<', '=', '>']) {
            let colour = params.split([';', ':']).any(|param| {
                matches!(
                    param.parse::<u16>(),
                    Ok(30..=38 | 40..=48 | 58 | 90..=97 | 100..=107)
                )
            });
            if colour {
                return Some(format!("ESC[{params}m"));
            }
        }
        rest = after;
    }
    None
}

/// Runs the dashboard until it has drawn its data, runs `check`, quits, and returns every byte
/// it wrote.
fn raw_output_of_a_session(launch: &Launch, check: impl Fn(&Term)) -> Vec<u8> {
    let mut term = Term::start(launch);
    wait_for_dashboard(&term);
    check(&term);
    term.type_text("q");
    let status = term.wait_exit();
    assert_clean_exit(&status, &term);
    wait_for_goodbye(&term);
    term.raw()
}

/// Whether the selected row of the balances pane ("▶ EUR", focused at start) is drawn in
/// reverse video; `None` while it is not on screen.
fn selected_row_reversed(screen: &vt100::Screen) -> Option<bool> {
    let (rows, cols) = screen.size();
    let text = |row: u16, col: u16| screen.cell(row, col).map(vt100::Cell::contents);
    (0..rows.get()).find_map(|row| {
        (0..cols.get().saturating_sub(4)).find_map(|col| {
            let marker = ["▶", " ", "E", "U", "R"]
                .iter()
                .zip(col..)
                .all(|(want, at)| text(row, at) == Some(*want));
            marker.then(|| screen.cell(row, col + 2).is_some_and(vt100::Cell::inverse))
        })
    })
}

/// NO_COLOR: not one colour sequence, and the monochrome theme's reverse video marks the
/// selected row instead of the colour theme's background (which would vanish without colour).
#[test]
fn no_color_writes_no_colour_sequences() {
    let coloured = raw_output_of_a_session(&Launch::sandbox(), |_| {});
    assert!(
        sets_a_colour(&coloured).is_some(),
        "without NO_COLOR the dashboard should use colour, or this test proves nothing"
    );
    let plain = raw_output_of_a_session(&Launch::sandbox().env("NO_COLOR", "1"), |term| {
        term.wait_for("the selected row in reverse video", |screen, _| {
            selected_row_reversed(screen) == Some(true)
        });
    });
    assert_eq!(sets_a_colour(&plain), None, "NO_COLOR=1 still wrote colour");
}

#[test]
fn the_colour_detector_knows_colours_from_resets() {
    assert!(sets_a_colour(b"\x1b[31mred").is_some());
    assert!(sets_a_colour(b"\x1b[1;38;5;12mblue").is_some());
    assert!(sets_a_colour(b"\x1b[48;2;0;0;0m").is_some());
    assert!(sets_a_colour(b"\x1b[97m").is_some());
    assert_eq!(sets_a_colour(b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m"), None);
    assert_eq!(sets_a_colour(b"\x1b[1m\x1b[7m\x1b[2m\x1b[22m"), None);
    assert_eq!(sets_a_colour(b"\x1b[31;1H\x1b[?25l"), None);
}

/// The test hooks this file relies on stay out of the user's way: `--help` names neither.
#[test]
fn the_test_hooks_are_hidden_from_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_p100-desk"))
        .arg("--help")
        .env_clear()
        .env("HOME", dir.path())
        .output()
        .expect("run p100-desk --help");
    assert!(output.status.success(), "{output:?}");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--data-dir"), "{help}");
    for hidden in ["sandbox-pace", "P100_DESK_TEST_PANIC"] {
        assert!(!help.contains(hidden), "--help shows {hidden}:\n{help}");
    }
}

/// Issue 10: keys typed behind the "too small" notice (an exchange and a paste) do nothing;
/// only `q` acts. The binary exiting on `q` proves every key before it was read.
#[test]
fn keys_behind_the_too_small_notice_place_nothing() {
    let mut term = Term::start(&Launch::sandbox());
    wait_for_dashboard(&term);
    term.resize(60, 20);
    term.wait_for("the enlarge notice at 60x20", |screen, _| {
        screen.contents().contains("Terminal too small")
    });
    term.type_text("x10\ry");
    term.type_text("\x1b[200~10\x1b[201~\r");
    term.type_text("yy");
    term.type_text("q");
    let status = term.wait_exit();
    assert_clean_exit(&status, &term);
    let events: Vec<String> = term
        .journal_lines()
        .iter()
        .filter_map(|line| {
            line.get("event")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    assert!(
        !events.iter().any(|event| event.contains("intent")),
        "a money-moving intent was journaled behind the notice: {events:?}"
    );
    assert_terminal_restored(&term);
}

/// Issue 10: a bracketed paste into the amount lands whole (it was dropped without a word).
#[test]
fn a_bracketed_paste_fills_the_amount() {
    let mut term = Term::start(&Launch::sandbox());
    let index = term.wait_until("the dashboard with a USDC balance", |screen, _| {
        let contents = screen.contents();
        if !dashboard_loaded(&contents) {
            return None;
        }
        balance_rows(&contents).iter().position(|row| row == "USDC")
    });
    term.type_text(&format!("1g{}", "j".repeat(index)));
    term.wait_for_text(&["▶ USDC "]);
    term.type_text("x");
    term.wait_for_text(&["New exchange", "Sell       USDC"]);
    term.type_text("\x1b[200~12.5\x1b[201~");
    term.wait_for_text(&["Amount     12.5▏"]);
    term.type_text("\r");
    term.wait_for_text(&["y CONFIRM", "12.500000 USDC"]);
    term.type_text("\x1b");
    term.wait_for("the ticket closed", |screen, _| {
        !screen.contents().contains("New exchange")
    });
    term.type_text("q");
    let status = term.wait_exit();
    assert_clean_exit(&status, &term);
}
