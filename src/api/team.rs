//! The team relay's own endpoints (`/relay/v1/...`), for a desk whose server is a relay: who
//! the operator is, the team's pending rows, the four-eyes proposals, approving one, and the
//! event stream. Shapes are read tolerantly: a field the desk does not know is ignored.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::sse::{SseEvent, SseParser};
use super::{ApiClient, ApiError};

pub const WHOAMI_PATH: &str = "/relay/v1/whoami";
pub const EVENTS_PATH: &str = "/relay/v1/events";
pub const TEAM_PENDING_PATH: &str = "/relay/v1/team/pending";
pub const PROPOSALS_PATH: &str = "/relay/v1/proposals";

/// The operator behind this desk's token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TeamIdentity {
    pub name: String,
    /// `viewer`, `trader` or `approver`.
    pub role: String,
}

impl TeamIdentity {
    pub fn can_approve(&self) -> bool {
        self.role.eq_ignore_ascii_case("approver")
    }
}

/// One pending row of the team: accepted and moving (`id`), or sent with no answer yet
/// (`idempotency_key` only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamRow {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// `exchange` or `order`.
    pub kind: String,
    pub operator: String,
    pub status: String,
    #[serde(default)]
    pub terms: Value,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct PendingAnswer {
    #[serde(default)]
    pending: Vec<TeamRow>,
}

/// A four-eyes proposal: terms above the team's limit waiting for (or given) an approval.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    pub id: i64,
    pub kind: String,
    pub proposer: String,
    #[serde(default)]
    pub terms: Value,
    #[serde(default)]
    pub amount_eur: Option<String>,
    #[serde(default)]
    pub indicative_rate: Option<String>,
    #[serde(default)]
    pub max_deviation: Option<String>,
    /// `pending`, `approved`, `used`...
    pub state: String,
    #[serde(default)]
    pub approver: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Proposal {
    pub fn is_pending(&self) -> bool {
        self.state.eq_ignore_ascii_case("pending")
    }

    /// The amount of the terms (the sold amount of an exchange, the fiat of an order).
    pub fn amount(&self) -> Option<Decimal> {
        decimal(self.terms.get("amount"))
    }

    pub fn indicative_rate(&self) -> Option<Decimal> {
        self.indicative_rate.as_deref()?.parse().ok()
    }

    pub fn max_deviation(&self) -> Option<Decimal> {
        self.max_deviation.as_deref()?.parse().ok()
    }

    /// "ETH→EUR" for an exchange, "USDC/polygon→EUR" for an order.
    pub fn pair(&self) -> String {
        let text = |field: &str| {
            self.terms
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_uppercase()
        };
        if self.kind == "order" {
            format!(
                "{}/{}→{}",
                text("currency"),
                self.terms
                    .get("network")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                text("destinationCurrency")
            )
        } else {
            format!("{}→{}", text("currencyFrom"), text("currencyTo"))
        }
    }
}

#[derive(Debug, Deserialize)]
struct ProposalsAnswer {
    #[serde(default)]
    proposals: Vec<Proposal>,
}

/// A decimal from a JSON string or number (the relay keeps the terms as the desk sent them).
pub fn decimal(value: Option<&Value>) -> Option<Decimal> {
    match value? {
        Value::String(text) => text.trim().parse().ok(),
        Value::Number(number) => number.to_string().parse().ok(),
        _ => None,
    }
}

/// One change the relay pushed: `kind` is `intent`, `outcome`, `status`, `proposal`,
/// `approval`, `lagged` (the desk missed some: read everything again) or `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PushedEvent {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub status: Option<String>,
}

impl PushedEvent {
    /// The event a server-sent event carries; the SSE type names it when the data does not.
    pub fn of(sse: &SseEvent) -> Self {
        let mut event = serde_json::from_str::<Self>(&sse.data).unwrap_or(Self {
            kind: String::new(),
            id: String::new(),
            operator: String::new(),
            status: None,
        });
        if event.kind.is_empty() {
            event.kind.clone_from(&sse.event);
        }
        event
    }
}

/// An open event stream: read it with [`TeamEvents::next`] until it ends.
pub struct TeamEvents {
    response: reqwest::Response,
    parser: SseParser,
    queued: std::collections::VecDeque<SseEvent>,
    client: ApiClient,
}

impl std::fmt::Debug for TeamEvents {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("TeamEvents").finish_non_exhaustive()
    }
}

impl TeamEvents {
    /// The next event; `Ok(None)` when the relay closed the stream. Silence longer than
    /// `silence` (the relay sends a keep-alive every 15 s) counts as a broken stream.
    pub async fn next(&mut self, silence: Duration) -> Result<Option<SseEvent>, ApiError> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Ok(Some(event));
            }
            let chunk = tokio::time::timeout(silence, self.response.chunk())
                .await
                .map_err(|_| ApiError::Timeout)?
                .map_err(|error| ApiError::Network {
                    message: format!("the event stream broke ({error})"),
                })?;
            let Some(chunk) = chunk else {
                return Ok(None);
            };
            let clean = self.client.transport.scrub_chunk(&chunk);
            self.queued.extend(self.parser.push(&clean));
        }
    }
}

impl ApiClient {
    /// `GET /relay/v1/whoami`: the operator this desk's token belongs to.
    pub async fn team_identity(&self) -> Result<TeamIdentity, ApiError> {
        self.get(WHOAMI_PATH, &[]).await
    }

    /// `GET /relay/v1/team/pending`: every pending row of the team, with who placed it.
    pub async fn team_pending(&self) -> Result<Vec<TeamRow>, ApiError> {
        self.get::<PendingAnswer>(TEAM_PENDING_PATH, &[])
            .await
            .map(|answer| answer.pending)
    }

    /// `GET /relay/v1/proposals`: the newest proposals, newest first.
    pub async fn proposals(&self) -> Result<Vec<Proposal>, ApiError> {
        self.get::<ProposalsAnswer>(PROPOSALS_PATH, &[])
            .await
            .map(|answer| answer.proposals)
    }

    /// `POST /relay/v1/proposals/ID/approve`, once: the approved proposal, or why not.
    pub async fn approve_proposal(&self, id: i64) -> Result<Proposal, ApiError> {
        self.post_without_effects(
            &format!("{PROPOSALS_PATH}/{id}/approve"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Opens `GET /relay/v1/events`.
    pub async fn team_events(&self) -> Result<TeamEvents, ApiError> {
        let response = self.transport.open_stream(EVENTS_PATH).await?;
        Ok(TeamEvents {
            response,
            parser: SseParser::default(),
            queued: std::collections::VecDeque::new(),
            client: self.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proposal_reads_its_terms() {
        let proposal: Proposal = serde_json::from_value(serde_json::json!({
            "id": 7, "kind": "exchange", "proposer": "alice",
            "terms": {"currencyFrom": "eth", "currencyTo": "eur", "amount": "12.5"},
            "amountEur": "31250.00", "indicativeRate": "2500", "maxDeviation": "0.01",
            "state": "pending", "approver": null, "createdAt": "2026-12-01T10:00:00Z",
            "somethingNew": true
        }))
        .expect("tolerant proposal");
        assert_eq!(proposal.pair(), "ETH→EUR");
        assert_eq!(proposal.amount(), Some(Decimal::new(125, 1)));
        assert_eq!(proposal.indicative_rate(), Some(Decimal::new(2500, 0)));
        assert_eq!(proposal.max_deviation(), Some(Decimal::new(1, 2)));
        assert!(proposal.is_pending());
    }

    #[test]
    fn a_pushed_event_falls_back_to_the_sse_type() {
        let event = PushedEvent::of(&SseEvent {
            event: "hello".into(),
            data: "{}".into(),
        });
        assert_eq!(event.kind, "hello");
        let event = PushedEvent::of(&SseEvent {
            event: "status".into(),
            data: r#"{"kind":"status","id":"ex-1","operator":"bob","status":"PROCESSING"}"#.into(),
        });
        assert_eq!(event.id, "ex-1");
        assert_eq!(event.status.as_deref(), Some("PROCESSING"));
    }
}
