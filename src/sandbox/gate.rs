//! The middleware every request passes: log it, check `x-api-key`, apply the rate limit, then
//! either hand it to its handler or inject the fault a test asked for.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use tokio::time::Instant;

use super::faults::{Endpoint, Fault, RetryAfter};
use super::lies;
use super::rate_limit::retry_after_seconds;
use super::server::Shared;
use super::wire;

/// The largest body `Fault::Truncated` will buffer to cut.
const TRUNCATE_BUFFER_LIMIT: usize = 16 * 1024 * 1024;

/// The status to log: `None` when no response reaches the client.
type Logged = Option<u16>;

/// The middleware function (see the module doc).
pub async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let endpoint = Endpoint::classify(&method, &path);
    let idempotency_key = request
        .headers()
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok());
    let ticket = shared
        .log
        .begin(method.as_str(), &path, endpoint, idempotency_key);
    let (response, status) = admit(&shared, endpoint, request, next).await;
    shared.log.finish(ticket, status);
    response
}

fn sent(response: Response) -> (Response, Logged) {
    let status = response.status().as_u16();
    (response, Some(status))
}

async fn admit(
    shared: &Shared,
    endpoint: Option<Endpoint>,
    request: Request,
    next: Next,
) -> (Response, Logged) {
    if let Some(suffix) = key_problem(&shared.api_key, request.headers()) {
        return sent((StatusCode::UNAUTHORIZED, Json(wire::access_denied(suffix))).into_response());
    }
    if let Err(wait) = shared.take_token(Instant::now()) {
        let retry = RetryAfter::Seconds(retry_after_seconds(wait));
        return sent(rate_limited(Some(retry)));
    }
    match endpoint.and_then(|endpoint| shared.faults.take(endpoint)) {
        None => sent(next.run(request).await),
        Some(fault) => inject(shared, fault, request, next).await,
    }
}

/// `Some("xo1")` without a key, `Some("xo2")` with a wrong one.
fn key_problem(api_key: &str, headers: &HeaderMap) -> Option<&'static str> {
    match headers.get("x-api-key") {
        None => Some("xo1"),
        Some(sent_key) if sent_key.as_bytes() != api_key.as_bytes() => Some("xo2"),
        Some(_) => None,
    }
}

async fn inject(shared: &Shared, fault: Fault, request: Request, next: Next) -> (Response, Logged) {
    match fault {
        Fault::Latency(delay) => {
            // A real server keeps working on a request whose client gave up waiting: the
            // request runs in its own task, so a client timeout does not cancel it and a slow
            // POST is still applied, late. That is the case reconciliation must get right.
            let shutdown = shared.shutdown.clone();
            let late = tokio::spawn(async move {
                if sleep_unless_shutdown(delay, shutdown).await {
                    next.run(request).await
                } else {
                    shutting_down()
                }
            });
            sent(late.await.unwrap_or_else(|_| shutting_down()))
        }
        Fault::RateLimited { retry_after } => sent(rate_limited(retry_after)),
        Fault::ServerError(code) => sent(server_error(code)),
        Fault::P501 => sent(
            (
                StatusCode::BAD_REQUEST,
                Json(wire::business_error(
                    "P501",
                    "service-unavailable",
                    "Service temporarily unavailable, please try again later",
                )),
            )
                .into_response(),
        ),
        Fault::P500 => sent(
            (
                StatusCode::BAD_REQUEST,
                Json(wire::business_error(
                    "P500",
                    "unknown-exception",
                    "An unknown exception occurred",
                )),
            )
                .into_response(),
        ),
        Fault::Hang => {
            wait_for_shutdown(shared.shutdown.clone()).await;
            (shutting_down(), None)
        }
        Fault::Garbage => sent(json_typed(
            StatusCode::OK,
            Body::from(&b"<html>\x00\xff sandbox garbage {\"not\": json"[..]),
        )),
        Fault::Empty => sent(json_typed(StatusCode::OK, Body::empty())),
        Fault::Truncated => sent(truncate(next.run(request).await).await),
        Fault::ApplyThenDrop => {
            // Run the handler to completion so its effect is applied, then answer with a
            // body that fails before its first byte: hyper then closes the connection
            // without flushing the response head, so the client sees a connection error.
            drop(next.run(request).await);
            (dropped_connection(), None)
        }
        Fault::LockForAnotherTrade => {
            sent(rewrite_json(next.run(request).await, lies::other_trade).await)
        }
        Fault::ForeignDetailsId => {
            sent(rewrite_json(next.run(request).await, lies::foreign_id).await)
        }
        Fault::EchoKey => {
            let key = shared.api_key.clone();
            let answer = next.run(request).await;
            sent(rewrite_text(answer, |value| lies::echo_key(value, &key)).await)
        }
    }
}

/// `response` with its JSON body changed by `lie` (status and headers kept; a body that is not
/// a JSON object is passed through unchanged).
async fn rewrite_json(response: Response, lie: fn(&mut serde_json::Value)) -> Response {
    rewrite_text(response, |mut value| {
        lie(&mut value);
        value.to_string()
    })
    .await
}

/// `response` with its JSON body replaced by the text `lie` writes from it.
async fn rewrite_text(
    response: Response,
    lie: impl FnOnce(serde_json::Value) -> String,
) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, TRUNCATE_BUFFER_LIMIT)
        .await
        .unwrap_or_default();
    let text = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(value) if value.is_object() => lie(value),
        _ => return Response::from_parts(parts, Body::from(bytes)),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

fn json_typed(status: StatusCode, body: Body) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// HTTP 429 with the gateway-style body and, if given, `Retry-After`.
fn rate_limited(retry_after: Option<RetryAfter>) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(wire::too_many_requests()),
    )
        .into_response();
    let value = match retry_after {
        None => None,
        Some(RetryAfter::Seconds(seconds)) => HeaderValue::from_str(&seconds.to_string()).ok(),
        Some(RetryAfter::HttpDate(after)) => {
            HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now() + after)).ok()
        }
    };
    if let Some(value) = value {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A 5xx as a gateway writes it: JSON for 500, an HTML page otherwise (sandbox choice, so
/// the client meets a non-JSON error body too).
fn server_error(code: u16) -> Response {
    let status = StatusCode::from_u16(code)
        .ok()
        .filter(StatusCode::is_server_error)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        return (
            status,
            Json(serde_json::json!({"message": "Internal server error"})),
        )
            .into_response();
    }
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Server Error")
    );
    let page = format!(
        "<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>\n"
    );
    let mut response = (status, page).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// The first half of `response`'s body, with its status and headers (length corrected).
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, TRUNCATE_BUFFER_LIMIT)
        .await
        .unwrap_or_default();
    let cut: Bytes = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

/// A response whose body errors at once, so the connection is aborted.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox fault: connection dropped after applying the request",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// Sent to a hung or delayed request when the sandbox stops.
fn shutting_down() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"message": "sandbox shutting down"})),
    )
        .into_response()
}

/// Sleeps `delay`; `false` if the sandbox began shutting down first.
async fn sleep_unless_shutdown(delay: Duration, shutdown: watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = wait_for_shutdown(shutdown) => false,
    }
}

async fn wait_for_shutdown(mut shutdown: watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens once the sandbox is stopping.
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_checked_exactly() {
        let mut headers = HeaderMap::new();
        assert_eq!(key_problem("k", &headers), Some("xo1"));
        headers.insert("x-api-key", HeaderValue::from_static("K"));
        assert_eq!(key_problem("k", &headers), Some("xo2"));
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        assert_eq!(key_problem("k", &headers), None);
    }

    #[test]
    fn server_errors_keep_their_status() {
        assert_eq!(server_error(503).status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(server_error(502).status(), StatusCode::BAD_GATEWAY);
        assert_eq!(
            server_error(200).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn rate_limited_answers_carry_both_retry_after_forms() {
        let seconds = rate_limited(Some(RetryAfter::Seconds(3)));
        assert_eq!(seconds.headers()[header::RETRY_AFTER], "3");
        let date = rate_limited(Some(RetryAfter::HttpDate(Duration::from_secs(5))));
        let text = date.headers()[header::RETRY_AFTER]
            .to_str()
            .expect("ascii date");
        assert!(httpdate::parse_http_date(text).is_ok(), "{text}");
        assert!(
            rate_limited(None)
                .headers()
                .get(header::RETRY_AFTER)
                .is_none()
        );
    }
}
