//! Tiny loopback servers for the API client tests: a scripted axum stub that counts requests and
//! records when they arrived, and raw TCP stubs that misbehave below HTTP.

#![allow(dead_code)] // Each test file uses a different subset of these helpers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode};
use p100_desk::api::{ApiClient, ApiError, ApiSettings, RetryPolicy};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The key every test client sends; no error may ever contain it.
pub const KEY: &str = "test-key-7f3a9c";

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Canned {
    Reply {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Never answers.
    Hang,
}

/// A reply with a JSON content type.
pub fn json(status: u16, body: &str) -> Canned {
    Canned::Reply {
        status,
        headers: vec![("content-type", "application/json".to_owned())],
        body: body.to_owned(),
    }
}

/// A reply with extra headers and a plain body.
pub fn with_headers(status: u16, headers: &[(&'static str, &str)], body: &str) -> Canned {
    Canned::Reply {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned()))
            .collect(),
        body: body.to_owned(),
    }
}

/// What a stub saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub method: Method,
    pub path_and_query: String,
    pub api_key: Option<String>,
    pub user_agent: Option<String>,
    pub body: String,
}

/// A running stub. Answers request N with script entry N (the last entry repeats).
#[derive(Clone)]
pub struct Stub {
    pub base_url: String,
    script: Arc<Vec<Canned>>,
    hits: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    pub async fn start(script: Vec<Canned>) -> Self {
        assert!(!script.is_empty(), "a stub needs at least one answer");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local addr");
        let stub = Self {
            base_url: format!("http://{address}"),
            script: Arc::new(script),
            hits: Arc::new(AtomicUsize::new(0)),
            seen: Arc::new(Mutex::new(Vec::new())),
        };
        let router = Router::new().fallback(answer).with_state(stub.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        stub
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn arrivals(&self) -> Vec<Instant> {
        self.seen().iter().map(|seen| seen.at).collect()
    }
}

async fn answer(
    State(stub): State<Stub>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response<Body> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    stub.seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Seen {
            at: Instant::now(),
            method,
            path_and_query: uri
                .path_and_query()
                .map(ToString::to_string)
                .unwrap_or_default(),
            api_key: header("x-api-key"),
            user_agent: header("user-agent"),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    let index = stub.hits.fetch_add(1, Ordering::SeqCst);
    let canned = stub.script[index.min(stub.script.len() - 1)].clone();
    match canned {
        Canned::Hang => std::future::pending().await,
        Canned::Reply {
            status,
            headers,
            body,
        } => {
            let mut response =
                Response::builder().status(StatusCode::from_u16(status).expect("status"));
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response.body(Body::from(body)).expect("response")
        }
    }
}

/// What a raw stub does after reading one whole request.
#[derive(Debug, Clone, Copy)]
pub enum RawBehaviour {
    /// Closes the connection without a byte of answer.
    DropAfterRequest,
    /// Promises a 100-byte JSON body, sends a few bytes, closes.
    TruncateBody,
    /// A 200 with a chunked JSON body that never ends (until the client goes away).
    EndlessBody,
    /// A 200 that announces a 3 GiB body, sends a few bytes and then nothing.
    HugeContentLength,
}

/// A TCP stub below HTTP; counts the requests it read.
pub struct RawStub {
    pub base_url: String,
    hits: Arc<AtomicUsize>,
}

impl RawStub {
    pub async fn start(behaviour: RawBehaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    if read_request(&mut socket).await.is_some() {
                        counter.fetch_add(1, Ordering::SeqCst);
                        match behaviour {
                            RawBehaviour::DropAfterRequest => {}
                            RawBehaviour::TruncateBody => {
                                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                            content-length: 100\r\n\r\n{\"exchangeId\":";
                                let _ = socket.write_all(head.as_bytes()).await;
                                let _ = socket.flush().await;
                            }
                            RawBehaviour::EndlessBody => endless_body(&mut socket).await,
                            RawBehaviour::HugeContentLength => {
                                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                            content-length: 3221225472\r\n\r\n[\"x\",";
                                let _ = socket.write_all(head.as_bytes()).await;
                                let _ = socket.flush().await;
                                std::future::pending::<()>().await;
                            }
                        }
                    }
                    drop(socket);
                });
            }
        });
        Self {
            base_url: format!("http://{address}"),
            hits,
        }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Streams `{"data":["xxxx…","xxxx…",…` in 64 KiB chunks until the peer stops reading.
async fn endless_body(socket: &mut TcpStream) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\n\r\n";
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let opening = b"{\"data\":[";
    let _ = socket
        .write_all(format!("{:x}\r\n", opening.len()).as_bytes())
        .await;
    let _ = socket.write_all(opening).await;
    let _ = socket.write_all(b"\r\n").await;
    let item = format!("\"{}\",", "x".repeat(64 * 1024 - 3));
    let chunk = format!("{:x}\r\n{item}\r\n", item.len());
    while socket.write_all(chunk.as_bytes()).await.is_ok() {}
}

/// Reads one request (head plus `content-length` body); `None` if the peer went away first.
async fn read_request(socket: &mut TcpStream) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let Some(head_end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let body_len = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if buffer.len() >= head_end + 4 + body_len {
            return Some(());
        }
    }
}

/// A base URL nothing listens on: a port that was bound, then released.
pub async fn refused_base_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{address}")
}

/// Settings for fast tests: short timeouts, three attempts with millisecond backoff.
pub fn settings(base_url: &str) -> ApiSettings {
    let mut settings = ApiSettings::new(base_url, SecretString::from(KEY));
    settings.connect_timeout = Duration::from_secs(1);
    settings.request_timeout = Duration::from_secs(3);
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    settings
}

/// Settings that never retry, so one GET is one request.
pub fn single_shot(base_url: &str) -> ApiSettings {
    let mut settings = settings(base_url);
    settings.retry.max_attempts = 1;
    settings
}

pub fn client(settings: ApiSettings) -> ApiClient {
    ApiClient::new(settings).expect("valid settings")
}

/// The error must never carry the key, whichever way it is printed.
pub fn assert_keyless(error: &ApiError) {
    for text in [
        format!("{error:?}"),
        error.to_string(),
        error.user_message(),
        error.short_reason(),
    ] {
        assert!(!text.contains(KEY), "the key leaked into {text:?}");
    }
}

/// A GET of an arbitrary JSON value, where the test only cares about the error.
pub async fn get_value(client: &ApiClient) -> Result<serde_json::Value, ApiError> {
    client.get("/v1/partner/balances", &[]).await
}

/// A POST of a small exchange-like body, where the test only cares about the error.
pub async fn post_value(client: &ApiClient) -> Result<serde_json::Value, ApiError> {
    let body = serde_json::json!({"lockId": "36e19a53"});
    client.post("/v1/order", &body).await
}
