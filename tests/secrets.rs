//! The API key never leaks. Each run makes fresh canary keys (`canary-<uuid>`), drives real
//! flows with them at the most verbose log level, then scans every byte the desk produced:
//!
//! - in process: an exchange to completion, an order lock, a P403, a garbage body and a 401
//!   (a second client whose wrong key is a second canary) through the real loop; the log file
//!   at TRACE (reqwest's `log` records and hyper-util's traces included), the journal, every
//!   frame drawn, the Debug of clients, settings, configs, errors and app state, panic messages
//!   and payloads, and every byte the server sent back (a recording TCP tap, which also shows
//!   the key IS sent in `x-api-key`, so the scan is not vacuous);
//! - a hostile server that echoes the key in its answers: the errors, the log and the screen
//!   text built from them still hold no key (`api::http` redacts it from every body);
//! - the binary without a terminal: stdout, stderr and every file it wrote;
//! - config and key files readable by group/others: a warning, refused for production;
//! - the key is never accepted as a command-line argument.

#[path = "support/harness.rs"]
mod harness;

use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use harness::{Desk, DeskConfig, PATIENCE, Probe};
use p100_desk::api::models::{Currency, OrderLockRequest};
use p100_desk::api::paths::ApiPaths;
use p100_desk::api::{ApiClient, ApiError, ApiSettings, RetryPolicy};
use p100_desk::config::{self, CliOverrides, EnvVars, FileText, Sources};
use p100_desk::logging;
use p100_desk::sandbox::{Endpoint, Fault, FaultRule, SandboxHandle, SandboxOptions};
use rust_decimal::Decimal;
use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tracing_subscriber::util::SubscriberInitExt as _;

// ---------------------------------------------------------------------------------------------
// Canaries and scanning

/// A key no file, seed or snapshot can contain by chance.
fn canary(tag: &str) -> String {
    format!("canary-{tag}-{}", uuid::Uuid::new_v4().simple())
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    if needle.is_empty() || haystack.len() < needle.len() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// Collects every place a secret was found; `assert_clean` fails listing them all.
struct Scan {
    secrets: Vec<String>,
    /// What was scanned, to show the scan covered something.
    scanned: Vec<(String, usize)>,
    leaks: Vec<String>,
}

impl Scan {
    fn new(secrets: &[&str]) -> Self {
        Self {
            secrets: secrets.iter().map(|s| (*s).to_owned()).collect(),
            scanned: Vec::new(),
            leaks: Vec::new(),
        }
    }

    fn bytes(&mut self, what: &str, haystack: &[u8]) {
        self.scanned.push((what.to_owned(), haystack.len()));
        for secret in &self.secrets {
            let found = count(haystack, secret.as_bytes());
            if found > 0 {
                let at = haystack
                    .windows(secret.len())
                    .position(|window| window == secret.as_bytes())
                    .unwrap_or_default();
                let start = at.saturating_sub(160);
                let end = (at + secret.len() + 160).min(haystack.len());
                self.leaks.push(format!(
                    "{what}: {found} occurrence(s), e.g. …{}…",
                    String::from_utf8_lossy(&haystack[start..end])
                ));
            }
        }
    }

    fn text(&mut self, what: &str, text: &str) {
        self.bytes(what, text.as_bytes());
    }

    fn file(&mut self, path: &Path) {
        let bytes = std::fs::read(path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        self.bytes(&path.display().to_string(), &bytes);
    }

    /// Every regular file under `dir`, recursively.
    fn tree(&mut self, dir: &Path) {
        for path in files_under(dir) {
            self.file(&path);
        }
    }

    fn assert_clean(&self) {
        assert!(
            self.leaks.is_empty(),
            "the key leaked in {} place(s):\n{}",
            self.leaks.len(),
            self.leaks.join("\n")
        );
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// A recording TCP tap between the desk and the sandbox

/// Everything that crossed one TCP connection, per direction.
#[derive(Default)]
struct Conversation {
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

/// Forwards connections to `upstream` and keeps every byte, connection by connection (so a
/// key cannot hide by straddling two interleaved connections' chunks).
struct Tap {
    url: String,
    conversations: Arc<Mutex<Vec<Arc<Mutex<Conversation>>>>>,
}

impl Tap {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("tap binds");
        let url = format!("http://{}", listener.local_addr().expect("tap address"));
        let conversations: Arc<Mutex<Vec<Arc<Mutex<Conversation>>>>> = Arc::default();
        let all = Arc::clone(&conversations);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let conversation = Arc::new(Mutex::new(Conversation::default()));
                lock(&all).push(Arc::clone(&conversation));
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(
                    client_read,
                    server_write,
                    Arc::clone(&conversation),
                    true,
                ));
                tokio::spawn(pump(server_read, client_write, conversation, false));
            }
        });
        Self { url, conversations }
    }

    fn conversations(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        lock(&self.conversations)
            .iter()
            .map(|conversation| {
                let conversation = lock(conversation);
                (
                    conversation.to_server.clone(),
                    conversation.to_client.clone(),
                )
            })
            .collect()
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    conversation: Arc<Mutex<Conversation>>,
    to_server: bool,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        {
            let mut conversation = lock(&conversation);
            let record = if to_server {
                &mut conversation.to_server
            } else {
                &mut conversation.to_client
            };
            record.extend_from_slice(&buffer[..read]);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// A hostile server that echoes the key it receives in every answer

/// Answers one request per connection, putting the `x-api-key` it received into the body (and
/// a header) the way a careless gateway might ("invalid key sk-..."). The path picks the answer.
async fn start_echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("echo binds");
    let url = format!("http://{}", listener.local_addr().expect("echo address"));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(echo_one(stream));
        }
    });
    url
}

async fn echo_one(mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&request).into_owned();
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let key = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("x-api-key")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    let (status, body) = match path.as_str() {
        "/echo/garbage" => ("200 OK", format!("key {key} is not welcome here")),
        "/echo/business" => (
            "400 Bad Request",
            format!(
                r#"{{"errorCode":"P999","errorName":"bad-key-{key}","errorMessage":"key {key} unknown"}}"#
            ),
        ),
        "/echo/validation" => (
            "400 Bad Request",
            format!(r#"{{"errorCode":"P403","errorMessage":"x-api-key {key} is invalid; {key}"}}"#),
        ),
        "/echo/server" => (
            "503 Service Unavailable",
            format!(r#"{{"message":"upstream refused {key}"}}"#),
        ),
        "/echo/unauthorized" => ("401 Unauthorized", format!("Access Denied xo2 ({key})")),
        "/echo/redirect" => ("302 Found", format!("moved, key={key}")),
        // As JSON encoders that escape `/` write it; decoding turns it back into the key.
        "/echo/escaped" => (
            "400 Bad Request",
            format!(
                r#"{{"errorCode":"P999","errorMessage":"key {} unknown"}}"#,
                key.replace('/', "\\/")
            ),
        ),
        _ => (
            "404 Not Found",
            format!(r#"{{"message":"no such page for {key}"}}"#),
        ),
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-echo-key: {key}\r\n\
         location: http://127.0.0.1:1/?k={key}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// In-process flows

fn client(base_url: &str, key: &str) -> ApiClient {
    ApiClient::new(settings(base_url, key)).expect("client")
}

fn settings(base_url: &str, key: &str) -> ApiSettings {
    ApiSettings {
        base_url: base_url.to_owned(),
        api_key: SecretString::from(key.to_owned()),
        paths: ApiPaths::default(),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
    }
}

/// Focuses the balance of `currency` (balances pane, rows in API order).
async fn select_balance(desk: &mut Desk, currency: &str) {
    let probe = desk.wait_for("balances", |p| p.balances_loaded).await;
    let index = probe
        .balances
        .iter()
        .position(|(name, _)| name == currency)
        .expect("the sandbox holds this currency");
    desk.key('1');
    desk.key('g');
    for _ in 0..index {
        desk.key('j');
    }
}

/// Opens a ticket (`x` exchange, `o` order) on `currency`, types `amount` and asks for a lock;
/// returns the ticket's stage once it is locked or rejected.
async fn ticket(desk: &mut Desk, kind: char, currency: &str, amount: &str) -> String {
    select_balance(desk, currency).await;
    desk.key(kind);
    desk.wait_for("a ticket", |p| p.ticket.as_deref() == Some("editing"))
        .await;
    desk.type_text(amount);
    desk.press(KeyCode::Enter);
    let probe = desk
        .wait_for("locked or rejected", |p| {
            p.ticket
                .as_deref()
                .is_some_and(|t| t == "locked" || t.starts_with("rejected"))
        })
        .await;
    probe.ticket.unwrap_or_default()
}

async fn close_ticket(desk: &mut Desk) {
    desk.press(KeyCode::Esc);
    desk.wait_for("ticket closed", |p| p.ticket.is_none()).await;
}

fn live_phase_is(probe: &Probe, label: &str) -> bool {
    probe
        .live
        .first()
        .is_some_and(|row| row.phase.label() == label)
}

/// Replaces the panic hook with one that keeps each panic's message (location and text, what
/// the default hook would print); the previous hook comes back on drop.
struct PanicCapture {
    messages: Arc<Mutex<Vec<String>>>,
    previous: Option<PanicHook>,
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

impl PanicCapture {
    fn install() -> Self {
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let previous = std::panic::take_hook();
        let hook_messages = Arc::clone(&messages);
        std::panic::set_hook(Box::new(move |info| {
            lock(&hook_messages).push(info.to_string());
        }));
        Self {
            messages,
            previous: Some(previous),
        }
    }

    fn messages(&self) -> Vec<String> {
        lock(&self.messages).clone()
    }
}

impl Drop for PanicCapture {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            std::panic::set_hook(previous);
        }
    }
}

/// A call that failed with `error`, for an `expect` that panics with its Debug.
fn failed_call(error: &ApiError) -> Result<(), ApiError> {
    Err(error.clone())
}

/// The payloads of panics that format key-holding values (their messages go to the hook).
fn injected_panic_payloads(
    settings: &ApiSettings,
    client: &ApiClient,
    error: &ApiError,
) -> Vec<String> {
    let panics: Vec<Box<dyn FnOnce() + '_>> = vec![
        Box::new(|| panic!("injected: settings {settings:?}")),
        Box::new(|| panic!("injected: client {client:#?}")),
        Box::new(|| failed_call(error).expect("injected: a failed call")),
        Box::new(|| std::panic::panic_any(settings.clone())),
    ];
    panics
        .into_iter()
        .map(|panic| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(panic));
            let Err(payload) = outcome else {
                panic!("the injected panic did not panic");
            };
            if let Some(text) = payload.downcast_ref::<String>() {
                text.clone()
            } else if let Some(text) = payload.downcast_ref::<&str>() {
                (*text).to_owned()
            } else if let Some(settings) = payload.downcast_ref::<ApiSettings>() {
                format!("{settings:?}")
            } else {
                "<unknown payload>".to_owned()
            }
        })
        .collect()
}

/// The keys of one in-process run, each a canary.
struct Canaries {
    /// The sandbox's key: the one that works.
    key: String,
    /// A wrong key, for the 401.
    wrong: String,
    /// A key with `/` (keys may be base64), for an echo that comes back JSON-escaped.
    slash: String,
}

impl Canaries {
    fn new() -> Self {
        Self {
            key: canary("key"),
            wrong: canary("wrong"),
            slash: canary("slash/key"),
        }
    }

    fn all(&self) -> [&str; 3] {
        [&self.key, &self.wrong, &self.slash]
    }
}

/// Drives the real loop through `tap_url`: an exchange to completion, an order lock, a P403,
/// a garbage body, and a second desk with the wrong key showing its 401. Returns every frame
/// drawn and the Debug of the final app states, each with a label.
async fn drive_desks(
    sandbox: &SandboxHandle,
    tap_url: &str,
    canaries: &Canaries,
    journal_path: &Path,
) -> Vec<(String, String)> {
    let mut config = DeskConfig::new(journal_path);
    config.record_frames = true;
    let mut desk = Desk::start(client(tap_url, &canaries.key), config);

    let before = desk.wait_for("balances", |p| p.balances_loaded).await;
    let usdc_before = before.balance("usdc").expect("usdc");
    assert_eq!(ticket(&mut desk, 'x', "usdc", "100").await, "locked");
    desk.key('y');
    desk.wait_for("exchange COMPLETED and balances refreshed", |p| {
        live_phase_is(p, "COMPLETED")
            && p.balance("usdc") == Some(usdc_before - Decimal::ONE_HUNDRED)
    })
    .await;

    assert_eq!(ticket(&mut desk, 'o', "usdc", "120").await, "locked");
    close_ticket(&mut desk).await;

    // The sandbox's gbp account is inactive: P403 (funded here so the desk lets it through).
    sandbox
        .set_balance("gbp", Decimal::ONE_HUNDRED)
        .expect("gbp exists");
    desk.key('r');
    desk.wait_for("gbp funded", |p| {
        p.balance("gbp") == Some(Decimal::ONE_HUNDRED)
    })
    .await;
    let refused = ticket(&mut desk, 'x', "gbp", "10").await;
    assert!(refused.contains("P403"), "{refused}");
    close_ticket(&mut desk).await;

    sandbox.faults().push(FaultRule::next(
        Some(Endpoint::ExchangeLock),
        Fault::Garbage,
        1,
    ));
    let garbled = ticket(&mut desk, 'x', "usdc", "10").await;
    assert!(garbled.contains("could not be read"), "{garbled}");
    close_ticket(&mut desk).await;

    let wrong_journal = journal_path.with_file_name("wrong.jsonl");
    let mut wrong_config = DeskConfig::new(&wrong_journal);
    wrong_config.record_frames = true;
    let mut wrong_desk = Desk::start(client(tap_url, &canaries.wrong), wrong_config);
    wrong_desk
        .wait_for("access denied shown", |p| p.screen.contains("xo2"))
        .await;

    let mut shown: Vec<(String, String)> = desk
        .frames()
        .into_iter()
        .chain(wrong_desk.frames())
        .enumerate()
        .map(|(index, frame)| (format!("frame {index}"), frame))
        .collect();
    for app in [desk.quit().await, wrong_desk.quit().await] {
        let state = [
            format!("{:?}", app.session),
            format!("{:?}", app.overlay),
            format!("{:?}", app.notice),
            format!("{:?}", app.connection),
            format!("{:?}", app.ticket),
            format!("{:?}", app.trading_blocked),
            format!("{:#?}", app.balances),
            format!("{:#?}", app.history),
            format!("{:#?}", app.live),
        ];
        shown.push(("App state Debug".to_owned(), state.join("\n")));
    }
    shown
}

/// Errors from direct calls: the sandbox's 401, P403, garbage and P500, then every kind of
/// answer from a server that echoes the key back.
async fn provoke_errors(
    sandbox: &SandboxHandle,
    tap_url: &str,
    canaries: &Canaries,
) -> Vec<ApiError> {
    let good = client(tap_url, &canaries.key);
    let wrong = client(tap_url, &canaries.wrong);
    let mut errors = Vec::new();
    let denied = wrong.balances().await.expect_err("401");
    assert!(matches!(denied, ApiError::Unauthorized(_)), "{denied:?}");
    errors.push(denied);
    let invalid = good
        .exchange_lock(&Currency::new("gbp"), &Currency::new("eur"), Decimal::TEN)
        .await
        .expect_err("P403");
    assert!(
        matches!(invalid, ApiError::Validation { .. }),
        "{invalid:?}"
    );
    errors.push(invalid);
    sandbox
        .faults()
        .push(FaultRule::next(Some(Endpoint::Balances), Fault::Garbage, 1));
    errors.push(good.balances().await.expect_err("garbage"));
    sandbox
        .faults()
        .push(FaultRule::next(Some(Endpoint::OrderLock), Fault::P500, 1));
    let order_lock = OrderLockRequest {
        currency: Currency::new("usdc"),
        amount: Decimal::TEN,
        network: "ethereum".to_owned(),
    };
    errors.push(good.order_lock(&order_lock).await.expect_err("P500"));

    let echo_url = start_echo_server().await;
    let echo = client(&echo_url, &canaries.key);
    for path in [
        "/echo/garbage",
        "/echo/business",
        "/echo/validation",
        "/echo/server",
        "/echo/unauthorized",
        "/echo/redirect",
        "/echo/missing",
    ] {
        errors.push(
            echo.get::<serde_json::Value>(path, &[])
                .await
                .expect_err(path),
        );
    }
    errors.push(
        echo.post::<_, serde_json::Value>("/echo/business", &serde_json::json!({}))
            .await
            .expect_err("post"),
    );
    let slash = client(&echo_url, &canaries.slash);
    for path in ["/echo/escaped", "/echo/business"] {
        errors.push(
            slash
                .get::<serde_json::Value>(path, &[])
                .await
                .expect_err(path),
        );
    }
    errors
}

/// Panics holding the key: in a task that owns a client (its JoinError is what a supervisor
/// would log) and in code formatting settings, a client and an error. Returns the hook's
/// messages, the payloads and the JoinError's text.
async fn inject_panics(
    settings: &ApiSettings,
    client: &ApiClient,
    error: &ApiError,
) -> Vec<String> {
    let capture = PanicCapture::install();
    let task_client = client.clone();
    let join_error = tokio::spawn(async move {
        panic!("injected in a task: {task_client:?}");
    })
    .await
    .expect_err("the task panicked");
    let mut texts = injected_panic_payloads(settings, client, error);
    let messages = capture.messages();
    drop(capture);
    assert_eq!(messages.len(), 5, "the hook saw every injected panic");
    texts.extend(messages);
    texts.push(format!("{join_error:?}"));
    texts.push(join_error.to_string());
    texts
}

/// The scan is not vacuous: each key the desk used went out in `x-api-key`, and nowhere else.
fn assert_keys_were_sent(sent: &[u8], keys: &[&str]) {
    let sent_text = String::from_utf8_lossy(sent).to_ascii_lowercase();
    for key in keys {
        let header = format!("x-api-key: {key}\r\n").to_ascii_lowercase();
        let in_header = count(sent_text.as_bytes(), header.as_bytes());
        assert!(
            in_header > 0,
            "a canary key was not sent in x-api-key; the scan would prove nothing"
        );
        assert_eq!(
            count(sent, key.as_bytes()),
            in_header,
            "the key goes in the x-api-key header and nowhere else (URL, body)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_key_never_leaks_from_flows_logs_screens_debug_or_panics() {
    let canaries = Canaries::new();
    let dir = tempfile::tempdir().expect("tempdir");

    // The binary's file logging (same subscriber), at TRACE for every crate; `try_init` also
    // bridges `log` records (reqwest logs through `log`), which the binary does not even do.
    let (subscriber, log_guard) =
        logging::file_subscriber(dir.path(), Some("trace")).expect("log file");
    let log_path = log_guard.path().to_path_buf();
    subscriber
        .try_init()
        .expect("this test is the only one in the binary that installs logging");

    let sandbox = harness::start_sandbox(SandboxOptions {
        api_key: canaries.key.clone(),
        ..harness::fast_sandbox_options()
    })
    .await;
    let tap = Tap::start(sandbox.local_addr()).await;
    let journal_path = dir.path().join("journal.jsonl");
    let shown = drive_desks(&sandbox, &tap.url, &canaries, &journal_path).await;
    let errors = provoke_errors(&sandbox, &tap.url, &canaries).await;
    let settings = settings(&tap.url, &canaries.key);
    let good = client(&tap.url, &canaries.key);
    let panics = inject_panics(&settings, &good, &errors[0]).await;
    let sandbox_debug = format!("{sandbox:?}");
    sandbox.shutdown().await;
    // Dropping the guard flushes the background log writer; later events are dropped.
    drop(log_guard);

    let conversations = tap.conversations();
    let sent: Vec<u8> = conversations
        .iter()
        .flat_map(|(to_server, _)| to_server.clone())
        .collect();
    assert_keys_were_sent(&sent, &[&canaries.key, &canaries.wrong]);

    let mut scan = Scan::new(&canaries.all());
    for (index, (_, to_client)) in conversations.iter().enumerate() {
        scan.bytes(&format!("server answer stream {index}"), to_client);
    }
    scan.file(&log_path);
    scan.file(&journal_path);
    for (what, text) in &shown {
        scan.text(what, text);
    }
    for error in &errors {
        scan.text("ApiError Debug", &format!("{error:?}"));
        scan.text("ApiError Display", &error.to_string());
        scan.text("ApiError user message", &error.user_message());
        scan.text("ApiError short reason", &error.short_reason());
    }
    for (index, text) in panics.iter().enumerate() {
        scan.text(&format!("panic text {index}"), text);
    }
    scan.text("ApiSettings Debug", &format!("{settings:#?}"));
    scan.text("ApiClient Debug", &format!("{good:#?}"));
    let options = SandboxOptions {
        api_key: canaries.key.clone(),
        ..SandboxOptions::default()
    };
    scan.text("SandboxOptions Debug", &format!("{options:?}"));
    scan.text("SandboxHandle Debug", &sandbox_debug);
    for (what, text) in config_debug(dir.path(), &canaries.key) {
        scan.text(&what, &text);
    }
    // Committed text: trivially free of a fresh canary, scanned so the guarantee is written down.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    scan.tree(&root.join("tests").join("snapshots"));
    scan.tree(&root.join("assets"));
    scan.file(&root.join("README.md"));
    scan.file(&root.join("config.example.toml"));

    // The scan covered real material: a TRACE log with the requests, many frames, answers.
    let log = std::fs::read_to_string(&log_path).expect("log text");
    assert!(log.contains("TRACE"), "the log is not at trace level");
    assert!(log.contains("P100 request"), "the requests were not logged");
    let frames = shown
        .iter()
        .filter(|(what, _)| what.starts_with("frame"))
        .count();
    assert!(frames > 10, "only {frames} frames recorded");
    assert!(
        conversations
            .iter()
            .any(|(_, to_client)| !to_client.is_empty())
    );
    scan.assert_clean();
    let bytes: usize = scan.scanned.iter().map(|(_, len)| len).sum();
    println!(
        "scanned {} sources ({bytes} bytes: {frames} frames, {} TCP conversations, a {}-byte TRACE log)",
        scan.scanned.len(),
        conversations.len(),
        log.len()
    );
}

/// Debug and Display of the configuration types, with the key from the environment and from a
/// key file.
fn config_debug(dir: &Path, key: &str) -> Vec<(String, String)> {
    let key_path = dir.join("api.key");
    std::fs::write(&key_path, format!("{key}\n")).expect("write key file");
    let config_path = dir.join("config.toml");
    let text = format!(
        "profile = \"stage\"\n[profiles.stage]\nenvironment = \"stage\"\n\
         base_url = \"http://127.0.0.1:1\"\nkey_file = \"{}\"\n",
        key_path.display()
    );
    let file = FileText {
        path: config_path,
        text,
        mode: Some(0o600),
    };
    let key_file = FileText::read(&key_path).expect("read key file");
    let from_env: EnvVars = [
        ("P100_API_KEY", key),
        ("P100_BASE_URL", "http://127.0.0.1:1"),
    ]
    .into_iter()
    .collect();
    let no_env = EnvVars::default();
    let cli = CliOverrides::default();
    let resolve = |file: Option<&FileText>, env: &EnvVars| {
        config::resolve(
            &Sources {
                file,
                env,
                cli: &cli,
                platform_data_dir: Some(dir),
            },
            &FileText::read,
        )
        .expect("config resolves")
    };
    let with_env = resolve(None, &from_env);
    let with_file = resolve(Some(&file), &no_env);
    let mut shown = Vec::new();
    for (what, config) in [("env", &with_env), ("key file", &with_file)] {
        assert!(!config.target.is_sandbox());
        shown.push((
            format!("ResolvedConfig Debug ({what})"),
            format!("{config:#?}"),
        ));
        shown.push((
            format!("Target Display ({what})"),
            config.target.to_string(),
        ));
    }
    shown.push(("EnvVars Debug".into(), format!("{from_env:?}")));
    shown.push(("FileText Debug".into(), format!("{key_file:?}")));
    shown.push(("CliOverrides Debug".into(), format!("{cli:?}")));
    shown
}

// ---------------------------------------------------------------------------------------------
// The binary, without a terminal

/// A run's exit status and output.
struct Run {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// A sandboxed home for the binary: HOME and XDG dirs, a data dir, the canary in P100_API_KEY.
struct Home {
    dir: tempfile::TempDir,
    key: String,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            key: canary("bin"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    /// `p100-desk ARGS` with a clean environment. Without a controlling terminal (CI), the
    /// binary is run as is; when `cargo test` runs in a terminal, crossterm would open
    /// /dev/tty and take that terminal over, so the run gets its own session (`setsid`),
    /// which has no controlling terminal.
    fn command(&self, args: &[&str]) -> Command {
        let binary = env!("CARGO_BIN_EXE_p100-desk");
        let has_tty = std::fs::File::open("/dev/tty").is_ok();
        let mut command = if has_tty && Path::new("/usr/bin/setsid").exists() {
            let mut command = Command::new("/usr/bin/setsid");
            command.arg("--wait").arg(binary);
            command
        } else {
            Command::new(binary)
        };
        command
            .args(args)
            .env_clear()
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("share"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("P100_API_KEY", &self.key)
            .env("P100_DATA_DIR", self.data_dir())
            .env("P100_LOG", "trace")
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "full")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// Fails if the key appears in this run's output or in any file under the home.
    fn assert_no_key(&self, what: &str, run: &Run) {
        let mut scan = Scan::new(&[&self.key]);
        scan.bytes(&format!("{what}: stdout"), &run.stdout);
        scan.bytes(&format!("{what}: stderr"), &run.stderr);
        scan.tree(&self.data_dir());
        for path in files_under(self.path()) {
            // The key file holds the key by definition.
            if path.file_name().is_some_and(|name| name == "api.key") {
                continue;
            }
            scan.file(&path);
        }
        scan.assert_clean();
    }
}

/// Runs `command` to completion, reading its output as it comes; kills it after PATIENCE.
fn run(mut command: Command) -> Run {
    let mut child = command.spawn().expect("p100-desk starts");
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
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for p100-desk") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("p100-desk did not exit within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

#[test]
fn binary_without_a_terminal_never_prints_or_writes_the_key() {
    let home = Home::new();

    let help = home.run(&["--help"]);
    assert!(help.status.success(), "{}", help.stderr());
    assert!(String::from_utf8_lossy(&help.stdout).contains("P100_API_KEY"));
    home.assert_no_key("--help", &help);

    for args in [&["journal"][..], &["journal", "--csv"]] {
        let journal = home.run(args);
        assert!(journal.status.success(), "{args:?}: {}", journal.stderr());
        home.assert_no_key(&format!("{args:?}"), &journal);
    }

    let bad_config = home.path().join("bad.toml");
    std::fs::write(
        &bad_config,
        "profile = \"sandbox\"\n[polling]\nrefresh_secs = \"soon\"\n",
    )
    .expect("write config");
    let invalid = home.run(&["--config", &bad_config.display().to_string()]);
    assert_eq!(invalid.status.code(), Some(2), "{}", invalid.stderr());
    home.assert_no_key("invalid config", &invalid);

    // A full start-up (config with the env key, TRACE logging, session, client) that stops
    // where a terminal is needed.
    let no_terminal = home.run(&["--base-url", "http://127.0.0.1:1"]);
    assert!(!no_terminal.status.success());
    assert!(
        no_terminal.stderr().contains("interactive terminal"),
        "{}",
        no_terminal.stderr()
    );
    let log = logging::log_file_path(&home.data_dir());
    let log_text = std::fs::read_to_string(&log).expect("the run logged");
    assert!(log_text.contains("starting"), "{log_text}");
    home.assert_no_key("--base-url without a terminal", &no_terminal);
}

// ---------------------------------------------------------------------------------------------
// Permissions (the binary's user-visible behaviour; resolution rules are in tests/config.rs)

#[cfg(unix)]
mod permissions {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    /// Writes a config file selecting a profile for `environment` on loopback, whose key file
    /// holds the home's canary; each file with its own mode. Returns the config's path.
    fn write_files(home: &Home, environment: &str, config_mode: u32, key_mode: u32) -> PathBuf {
        let key = home.path().join("api.key");
        std::fs::write(&key, format!("{}\n", home.key)).expect("write key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(key_mode))
            .expect("chmod key");
        let config = home.path().join("config.toml");
        let text = format!(
            "profile = \"p\"\n[profiles.p]\nenvironment = \"{environment}\"\n\
             base_url = \"http://127.0.0.1:1\"\nkey_file = \"api.key\"\n"
        );
        std::fs::write(&config, text).expect("write config");
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(config_mode))
            .expect("chmod config");
        config
    }

    /// Runs the dashboard on `config` with the key coming from its key file only.
    fn run_with(home: &Home, config: &Path) -> Run {
        let mut command = home.command(&["--config", &config.display().to_string()]);
        command.env_remove("P100_API_KEY");
        run(command)
    }

    #[test]
    fn readable_config_and_key_files_warn_at_start_for_stage() {
        let home = Home::new();
        let config = write_files(&home, "stage", 0o640, 0o604);
        let run = run_with(&home, &config);
        let stderr = run.stderr();
        // It starts (and stops only because there is no terminal), after warning about both.
        assert_ne!(run.status.code(), Some(2), "{stderr}");
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|line| line.starts_with("p100-desk: warning:"))
            .collect();
        assert_eq!(warnings.len(), 2, "{stderr}");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("config file") && w.contains("0640")),
            "{stderr}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("key file") && w.contains("0604")),
            "{stderr}"
        );
        assert!(warnings.iter().all(|w| w.contains("chmod 600")), "{stderr}");
        // The warnings also go to the log.
        let log = std::fs::read_to_string(logging::log_file_path(&home.data_dir()))
            .expect("the run logged");
        assert!(log.contains("0604"), "{log}");
        home.assert_no_key("stage with readable files", &run);
    }

    #[test]
    fn readable_config_or_key_file_is_refused_for_production() {
        for (config_mode, key_mode, what) in
            [(0o640, 0o600, "config file"), (0o600, 0o604, "key file")]
        {
            let home = Home::new();
            let config = write_files(&home, "production", config_mode, key_mode);
            let run = run_with(&home, &config);
            let stderr = run.stderr();
            assert_eq!(run.status.code(), Some(2), "{what}: {stderr}");
            assert!(
                stderr.contains(&format!("refusing to use {what}")),
                "{stderr}"
            );
            assert!(stderr.contains("chmod 600"), "{stderr}");
            assert!(run.stdout.is_empty());
            home.assert_no_key(&format!("production, readable {what}"), &run);
        }
    }

    #[test]
    fn private_files_start_production_without_warnings() {
        let home = Home::new();
        let config = write_files(&home, "production", 0o600, 0o400);
        let run = run_with(&home, &config);
        let stderr = run.stderr();
        assert_ne!(run.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
        assert!(stderr.contains("interactive terminal"), "{stderr}");
        home.assert_no_key("production, private files", &run);
    }
}

// ---------------------------------------------------------------------------------------------
// The key is never a command-line argument

#[test]
fn key_is_never_accepted_as_an_argument() {
    let home = Home::new();
    let value = canary("arg");
    let with_value = |flag: &str| vec![flag.to_owned(), value.clone()];
    let joined = |flag: &str| vec![format!("{flag}={value}")];
    let attempts = [
        with_value("--api-key"),
        joined("--api-key"),
        with_value("--key"),
        joined("--key"),
        with_value("--p100-api-key"),
        with_value("-k"),
        vec!["journal".to_owned(), "--api-key".to_owned(), value.clone()],
        vec![
            "--sandbox".to_owned(),
            "--api-key".to_owned(),
            value.clone(),
        ],
    ];
    for attempt in attempts {
        let args: Vec<&str> = attempt.iter().map(String::as_str).collect();
        let run = home.run(&args);
        let stderr = run.stderr();
        // Rejected by clap before anything starts; clap names the flag, not its value.
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("unexpected argument"), "{stderr}");
        let mut scan = Scan::new(&[&value, &home.key]);
        scan.bytes(&format!("{args:?}: stdout"), &run.stdout);
        scan.bytes(&format!("{args:?}: stderr"), &run.stderr);
        scan.assert_clean();
    }
    // A key pasted as a bare word is refused too, but clap quotes it back ("unrecognized
    // subcommand '<word>'") on the user's own terminal; it is never logged or stored.
    let bare = home.run(&[&value]);
    assert_eq!(bare.status.code(), Some(2), "{}", bare.stderr());
    assert!(!home.data_dir().exists(), "a refused run wrote files");
}
