//! `exchange --interactive` and `order --interactive` on a real terminal: the built binary runs
//! in a pseudo-terminal against a sandbox in this process, the test waits for the prompt and
//! types the amount again like a person would. The right amount sends exactly one POST (the
//! sandbox's execution counter and request log say so), a wrong one or a bare Enter sends
//! nothing, and above the profile's `max_exchange_eur` typing the amount is what allows it.
//!
//! Nothing sleeps a fixed time: every step waits for text on the terminal (or its end) with a
//! timeout.
#![cfg(unix)]

#[path = "cli_support/mod.rs"]
mod support;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

use p100_desk::sandbox::SandboxHandle;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use support::{Home, PATIENCE, requests, sandbox};

const EXCHANGE_POST: &str = "/v1/partner/exchange";
const ORDER_POST: &str = "/v1/order";
const EXCHANGE_PROMPT: &str = "again to send this exchange";
const ORDER_PROMPT: &str = "again to create this order";

/// What the terminal showed so far, and whether it has closed (the binary and every copy of
/// the terminal's other end are gone).
#[derive(Default)]
struct Screen {
    bytes: Vec<u8>,
    closed: bool,
}

type Shared = Arc<(Mutex<Screen>, Condvar)>;

/// Waits until `done` holds for what the terminal showed; fails with the text if it never does.
fn wait_for(shared: &Shared, what: &str, done: impl Fn(&Screen) -> bool) -> String {
    let (lock, changed) = &**shared;
    let deadline = Instant::now() + PATIENCE;
    let mut screen = lock.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let text = String::from_utf8_lossy(&screen.bytes).into_owned();
        if done(&screen) {
            return text;
        }
        let now = Instant::now();
        assert!(
            now < deadline && !screen.closed,
            "waiting for {what}; the terminal shows:\n{text}"
        );
        screen = changed
            .wait_timeout(screen, deadline - now)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// A finished session on the terminal.
struct Session {
    code: u32,
    /// Everything the terminal showed: stderr and stdout interleaved, with the typed echo.
    text: String,
}

/// Runs `p100-desk ARGS` (with the clean environment of the test home at `home`, as
/// [`Home::command`] sets it, and `P100_API_KEY`) on a fresh pseudo-terminal, waits for
/// `prompt`, types `typed` and Enter, and waits for the end.
fn on_a_terminal(home: &Path, key: &str, args: &[String], prompt: &str, typed: &str) -> Session {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a PTY can be allocated: this test needs /dev/ptmx and /dev/pts");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_p100-desk"));
    command.env_clear();
    command.env("HOME", home);
    command.env("XDG_CONFIG_HOME", home.join("config"));
    command.env("XDG_DATA_HOME", home.join("share"));
    command.env("P100_DATA_DIR", home.join("data"));
    command.env("P100_API_KEY", key);
    command.env("NO_COLOR", "1");
    command.env("TERM", "xterm-256color");
    command.args(args);
    command.cwd(home);
    let mut child = pair
        .slave
        .spawn_command(command)
        .expect("the binary starts on the PTY");
    // Only the child holds the terminal's other end now: once it exits, reading ends.
    drop(pair.slave);

    let shared: Shared = Arc::default();
    let mut reader = pair.master.try_clone_reader().expect("PTY reader");
    let feed = Arc::clone(&shared);
    let reading = std::thread::spawn(move || {
        let mut buffer = [0_u8; 4096];
        loop {
            let read = reader.read(&mut buffer);
            let (lock, changed) = &*feed;
            let mut screen = lock.lock().unwrap_or_else(PoisonError::into_inner);
            match read {
                Ok(n) if n > 0 => screen.bytes.extend_from_slice(&buffer[..n]),
                // EOF, or EIO once the child's end is closed.
                _ => screen.closed = true,
            }
            let closed = screen.closed;
            drop(screen);
            changed.notify_all();
            if closed {
                return;
            }
        }
    });

    wait_for(&shared, "the prompt to type the amount again", |screen| {
        String::from_utf8_lossy(&screen.bytes).contains(prompt)
    });
    let mut writer = pair.master.take_writer().expect("PTY writer");
    writer
        .write_all(format!("{typed}\r").as_bytes())
        .and_then(|()| writer.flush())
        .expect("type on the PTY");
    let text = wait_for(&shared, "the command to finish", |screen| screen.closed);
    let status = child.wait().expect("the binary's exit status");
    reading.join().expect("the PTY reader");
    Session {
        code: status.exit_code(),
        text,
    }
}

/// `on_a_terminal` off the async workers, so the sandbox keeps serving meanwhile.
async fn interactive(
    home: &Home,
    sandbox: &SandboxHandle,
    args: &[&str],
    prompt: &'static str,
    typed: &'static str,
) -> Session {
    let mut full = vec!["--base-url".to_owned(), sandbox.base_url().to_owned()];
    full.extend(args.iter().map(|arg| (*arg).to_owned()));
    let home = home.path().to_owned();
    let key = sandbox.api_key().to_owned();
    tokio::task::spawn_blocking(move || on_a_terminal(&home, &key, &full, prompt, typed))
        .await
        .expect("terminal thread")
}

const EXCHANGE: &[&str] = &[
    "exchange",
    "--from",
    "eur",
    "--to",
    "eth",
    "--amount",
    "100",
    "--interactive",
    "--format",
    "json",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_the_amount_again_sends_the_exchange_exactly_once() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let session = interactive(&home, &sandbox, EXCHANGE, EXCHANGE_PROMPT, "100").await;
    assert_eq!(session.code, 0, "{}", session.text);
    assert_eq!(sandbox.executions().exchanges, 1, "{}", session.text);
    assert_eq!(requests(&sandbox, "POST", EXCHANGE_POST), 1);
    let ids = sandbox.exchange_ids();
    assert_eq!(ids.len(), 1);
    // The terms came before the prompt, the result (with the id P100 gave) after it.
    let at = |what: &str| {
        session
            .text
            .find(what)
            .unwrap_or_else(|| panic!("{what:?} on the terminal:\n{}", session.text))
    };
    let prompt_at = at(EXCHANGE_PROMPT);
    let terms_at = at("locked 100 EUR ->");
    assert!(terms_at < prompt_at, "{}", session.text);
    let id_at = at(&format!("\"exchange_id\": \"{}\"", ids[0]));
    assert!(prompt_at < id_at, "{}", session.text);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_amount_or_a_bare_enter_sends_nothing() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let wrong = interactive(&home, &sandbox, EXCHANGE, EXCHANGE_PROMPT, "1000").await;
    assert_eq!(wrong.code, 8, "{}", wrong.text);
    assert!(wrong.text.contains("nothing was sent"), "{}", wrong.text);
    let cancelled = interactive(&home, &sandbox, EXCHANGE, EXCHANGE_PROMPT, "").await;
    assert_eq!(cancelled.code, 8, "{}", cancelled.text);
    assert!(cancelled.text.contains("cancelled"), "{}", cancelled.text);
    assert_eq!(sandbox.executions().exchanges, 0);
    assert_eq!(requests(&sandbox, "POST", EXCHANGE_POST), 0);
    // The locks were taken (the terms were shown), nothing was sent on them.
    assert_eq!(
        requests(&sandbox, "GET", "/v1/partner/exchange/lock"),
        2,
        "{}",
        wrong.text
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn above_the_profile_limit_typing_the_amount_is_what_allows_it() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let config = home.config(&sandbox, "max_exchange_eur = 50\n");
    let mut args = vec!["--config", &config];
    args.extend_from_slice(EXCHANGE);
    // `interactive` adds --base-url: the same server as the profile's.
    let wrong = interactive(&home, &sandbox, &args, EXCHANGE_PROMPT, "10").await;
    assert_eq!(wrong.code, 8, "{}", wrong.text);
    assert_eq!(sandbox.executions().exchanges, 0);
    let right = interactive(&home, &sandbox, &args, EXCHANGE_PROMPT, "100").await;
    assert_eq!(right.code, 0, "{}", right.text);
    assert_eq!(sandbox.executions().exchanges, 1);
    assert_eq!(requests(&sandbox, "POST", EXCHANGE_POST), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_created_once_when_the_amount_is_typed_again() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let order = [
        "order",
        "--currency",
        "usdc",
        "--network",
        "polygon",
        "--amount",
        "100",
        "--interactive",
        "--format",
        "json",
    ];
    let wrong = interactive(&home, &sandbox, &order, ORDER_PROMPT, "100.01").await;
    assert_eq!(wrong.code, 8, "{}", wrong.text);
    assert_eq!(sandbox.executions().orders, 0);
    assert_eq!(requests(&sandbox, "POST", ORDER_POST), 0);
    let right = interactive(&home, &sandbox, &order, ORDER_PROMPT, "100").await;
    assert_eq!(right.code, 0, "{}", right.text);
    assert_eq!(sandbox.executions().orders, 1, "{}", right.text);
    assert_eq!(requests(&sandbox, "POST", ORDER_POST), 1);
    assert!(right.text.contains("\"order_id\""), "{}", right.text);
    sandbox.shutdown().await;
}

/// `number_format` is the dashboard's: with `"1.234,56"` in the config, `--amount 1234.5` and the
/// same `1234.5` typed again still mean 1234.5 (the CLI reads amounts in the default format).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_number_format_does_not_change_what_the_cli_reads() {
    let sandbox = sandbox(0).await;
    let home = Home::new();
    let config = home.path().join("desk.toml");
    std::fs::write(&config, "number_format = \"1.234,56\"\n").expect("write config");
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("config mode 600");
    let config = config.to_string_lossy().into_owned();
    let mut args = vec!["--config", config.as_str()];
    args.extend_from_slice(EXCHANGE);
    let amount = args
        .iter()
        .position(|arg| *arg == "100")
        .expect("the amount");
    args[amount] = "1234.5";
    let session = interactive(&home, &sandbox, &args, EXCHANGE_PROMPT, "1234.5").await;
    assert_eq!(session.code, 0, "{}", session.text);
    assert_eq!(sandbox.executions().exchanges, 1, "{}", session.text);
    sandbox.shutdown().await;
}
