//! The relay's HTTP server: shared state, the route table (P100-compatible front, webhooks,
//! relay endpoints), operator authentication and the plain forwarding of reads.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use deadpool_postgres::Pool;
use secrecy::SecretString;
use tokio::sync::{broadcast, watch};

use super::budget::Budget;
use super::operators::{self, Operator};
use super::upstream::{Upstream, UpstreamAnswer, UpstreamFailure};
use super::watched::Kind;
use super::{RelayError, RelaySettings, approvals, events, locks, money, team, webhooks};
use crate::api::ApiPaths;

/// What every handler shares.
pub struct Relay {
    pub pool: Pool,
    pub upstream: Upstream,
    pub paths: ApiPaths,
    pub settings: RelaySettings,
    pub webhook_token: Option<SecretString>,
    /// Reads made on the team's behalf (poller, stale details, rates) share this.
    pub budget: Budget,
    pub events: broadcast::Sender<String>,
    pub leader: watch::Receiver<bool>,
    pub rates: money::EurRates,
}

/// The whole route table.
pub fn router(relay: Arc<Relay>) -> Router {
    let paths = relay.paths.clone();
    Router::new()
        .route(&paths.balances, get(forward_read))
        .route(&paths.transactions, get(forward_read))
        .route(&paths.exchange_rate, get(forward_read))
        .route(&paths.order_rates, get(forward_read))
        .route(
            &paths.exchange_lock,
            get(locks::exchange_lock).post(locks::exchange_lock),
        )
        .route(&paths.order_lock, post(locks::order_lock))
        .route(&paths.exchange, post(money::post_exchange))
        .route(&paths.order_create, post(money::post_order))
        .route(&paths.exchange_details, get(exchange_details))
        .route(&paths.order_details, get(order_details))
        .route("/webhooks/p100", post(webhooks::receive))
        .route("/webhook/health", get(webhooks::health))
        .route("/relay/v1/events", get(events::stream))
        .route("/relay/v1/whoami", get(whoami))
        .route("/relay/v1/team/pending", get(team::pending))
        .route("/relay/v1/journal", get(team::journal))
        .route("/relay/v1/proposals", get(approvals::list))
        .route("/relay/v1/proposals/{id}/approve", post(approvals::approve))
        .fallback(unknown_route)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .with_state(relay)
}

async fn unknown_route() -> RelayError {
    // Never an open proxy with the team's key: only the paths above reach P100.
    RelayError::refused(
        StatusCode::NOT_FOUND,
        "R404",
        "not-found",
        "the relay does not serve this path",
    )
}

/// The operator behind the request's `x-api-key`.
pub async fn operator_of(relay: &Relay, headers: &HeaderMap) -> Result<Operator, RelayError> {
    let token = headers
        .get("x-api-key")
        .and_then(|value| value.to_str().ok());
    operators::authenticate(&relay.pool, token).await
}

async fn whoami(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    let operator = operator_of(&relay, &headers).await?;
    Ok(axum::Json(serde_json::json!({
        "name": operator.name,
        "role": operator.role.as_str(),
        "pollerLeader": *relay.leader.borrow(),
    }))
    .into_response())
}

/// P100's answer, passed on as it came (status, JSON body, Retry-After).
pub fn pass_on(answer: UpstreamAnswer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if let Some(retry_after) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    response
}

/// A read that could not reach P100: 502 for the desk to retry like any transient failure.
pub fn upstream_down(failure: UpstreamFailure) -> RelayError {
    RelayError::refused(
        StatusCode::BAD_GATEWAY,
        "R502",
        "upstream-unavailable",
        match failure {
            UpstreamFailure::NotSent => "the relay could not reach P100",
            UpstreamFailure::MaybeReceived => "P100 did not answer the relay completely",
        },
    )
}

fn path_and_query(path: &str, query: Option<&str>) -> String {
    match query {
        Some(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_owned(),
    }
}

/// Balances, history and indicative rates: any operator, passed through.
async fn forward_read(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, RelayError> {
    operator_of(&relay, &headers).await?;
    let target = path_and_query(uri.path(), uri.query());
    relay
        .upstream
        .send(Method::GET, &target, None)
        .await
        .map(pass_on)
        .map_err(upstream_down)
}

async fn exchange_details(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, RelayError> {
    details(&relay, &headers, Kind::Exchange, &id, query.as_deref()).await
}

async fn order_details(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, RelayError> {
    details(&relay, &headers, Kind::Order, &id, query.as_deref()).await
}

/// A details request: from the store when the team watches the id and its copy is fresh
/// (or final: a final answer never changes), else read from P100 within the budget and stored.
async fn details(
    relay: &Relay,
    headers: &HeaderMap,
    kind: Kind,
    id: &str,
    query: Option<&str>,
) -> Result<Response, RelayError> {
    operator_of(relay, headers).await?;
    if let Some(stored) = team::stored_details(relay, id, relay.settings.details_max_age).await? {
        return Ok((StatusCode::OK, axum::Json(stored)).into_response());
    }
    let template = match kind {
        Kind::Exchange => &relay.paths.exchange_details,
        Kind::Order => &relay.paths.order_details,
    };
    let Some(details_path) = ApiPaths::with_id(template, id) else {
        return Err(RelayError::refused(
            StatusCode::BAD_REQUEST,
            "R400",
            "unusable-id",
            "the id cannot name an exchange or order",
        ));
    };
    let path = path_and_query(&details_path, query);
    relay.budget.acquire().await;
    let answer = relay
        .upstream
        .send(Method::GET, &path, None)
        .await
        .map_err(upstream_down)?;
    if answer.status.is_success() {
        if let Some(value) = answer.json() {
            team::store_details(relay, kind, id, &value, "details").await?;
        }
    }
    Ok(pass_on(answer))
}

/// The body of a JSON request, parsed, or a relay 400.
pub fn json_body(body: &Bytes) -> Result<serde_json::Value, RelayError> {
    serde_json::from_slice(body).map_err(|_| RelayError::invalid("the body is not JSON"))
}
