//! Money intents keyed by `Idempotency-Key`: recorded in one transaction before the POST goes
//! upstream, so a second POST with the key (any desk, any relay process) gets the stored
//! outcome or "in progress", never a second upstream POST.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::events::{self, TeamEvent};
use super::server::{Relay, pass_on};
use super::upstream::{UpstreamAnswer, UpstreamFailure};
use super::watched::{self, Kind, subject_id};
use super::{RelayError, journal, store};

/// What the store holds for a key.
#[derive(Debug, Clone)]
pub struct StoredIntent {
    body_hash: String,
    state: String,
    status: Option<i32>,
    answer: Option<String>,
}

/// The canonical hash of a request body (object keys sorted by serde_json's map).
pub fn body_hash(body: &Value) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(body).unwrap_or_default()))
}

impl StoredIntent {
    /// The answer for a repeated POST: the stored one, "in progress", or "outcome unknown";
    /// refused when the key comes back with other terms.
    pub fn replay(&self, body_hash: &str) -> Response {
        if self.body_hash != body_hash {
            return RelayError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "R422",
                "idempotency-key-reused",
                "this Idempotency-Key was used for a different request; nothing was sent",
            )
            .into_response();
        }
        match (self.state.as_str(), self.status, &self.answer) {
            // A reconciled intent answers with the id the history showed, as P100 would have.
            ("answered" | "reconciled", Some(status), Some(answer)) => pass_on(UpstreamAnswer {
                status: u16::try_from(status)
                    .ok()
                    .and_then(|status| StatusCode::from_u16(status).ok())
                    .unwrap_or(StatusCode::OK),
                retry_after: None,
                body: answer.clone().into(),
            }),
            ("unknown", _, _) => outcome_unknown().into_response(),
            ("ambiguous", _, _) => RelayError::refused(
                StatusCode::BAD_GATEWAY,
                "R502",
                "outcome-ambiguous",
                "the relay sent this request to P100 once; its history holds more than one row \
                 that could be it, so nothing is assumed (see the team journal)",
            )
            .into_response(),
            ("not_applied", _, _) => RelayError::refused(
                StatusCode::CONFLICT,
                "R410",
                "not-applied",
                "the relay sent this request to P100 once with no clear answer, and P100's \
                 history shows it was not applied: nothing moved; lock again for a new request",
            )
            .into_response(),
            _ => RelayError::refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "R425",
                "in-progress",
                "this request is being sent to P100 by the team's relay; read its state back",
            )
            .into_response(),
        }
    }
}

/// 502: sent once, no clear answer. A desk treats it like any unknown outcome (reconcile by
/// reading back, never re-send).
fn outcome_unknown() -> RelayError {
    RelayError::refused(
        StatusCode::BAD_GATEWAY,
        "R502",
        "outcome-unknown",
        "the relay sent this request to P100 once and got no clear answer",
    )
}

pub async fn find(relay: &Relay, key: &str) -> Result<Option<StoredIntent>, RelayError> {
    let db = store::connection(&relay.pool).await?;
    let row = db
        .query_opt(
            "SELECT body_hash, state, answer_status, answer_body FROM intents
             WHERE idempotency_key = $1",
            &[&key],
        )
        .await?;
    Ok(row.map(|row| StoredIntent {
        body_hash: row.get(0),
        state: row.get(1),
        status: row.get(2),
        answer: row.get(3),
    }))
}

/// The request about to go upstream.
pub struct NewIntent<'a> {
    pub key: &'a str,
    pub kind: Kind,
    pub operator: &'a str,
    pub body: &'a Value,
    pub terms: &'a Value,
    pub proposal: Option<i64>,
}

/// Whether this process may send the POST.
pub enum Begin {
    Started,
    Exists(StoredIntent),
}

/// Records the intent (and uses up its approval) in one transaction.
pub async fn begin(relay: &Relay, intent: &NewIntent<'_>) -> Result<Begin, RelayError> {
    let mut db = store::connection(&relay.pool).await?;
    let tx = db.transaction().await?;
    let inserted = tx
        .execute(
            "INSERT INTO intents (idempotency_key, kind, operator, body, body_hash, terms, state,
                                  proposal_id)
             VALUES ($1, $2, $3, $4, $5, $6, 'in_progress', $7)
             ON CONFLICT (idempotency_key) DO NOTHING",
            &[
                &intent.key,
                &intent.kind.as_str(),
                &intent.operator,
                intent.body,
                &body_hash(intent.body),
                intent.terms,
                &intent.proposal,
            ],
        )
        .await?;
    if inserted == 0 {
        drop(tx);
        drop(db);
        return match find(relay, intent.key).await? {
            Some(stored) => Ok(Begin::Exists(stored)),
            None => Err(RelayError::Database("intent vanished".into())),
        };
    }
    if let Some(proposal) = intent.proposal {
        let used = tx
            .execute(
                "UPDATE proposals SET state = 'used', used_by_key = $2
                 WHERE id = $1 AND state = 'approved'",
                &[&proposal, &intent.key],
            )
            .await?;
        if used == 0 {
            return Err(RelayError::refused(
                StatusCode::CONFLICT,
                "R409",
                "approval-required",
                format!("proposal #{proposal} was already used; propose again"),
            ));
        }
    }
    journal::record(
        &tx,
        intent.operator,
        "intent",
        Some(intent.key),
        &json!({"kind": intent.kind.as_str(), "terms": intent.terms, "proposal": intent.proposal}),
    )
    .await?;
    events::notify(
        &tx,
        &TeamEvent::new("intent", intent.key, intent.operator, None),
    )
    .await?;
    tx.commit().await?;
    Ok(Begin::Started)
}

/// `Some(id)` for an answer that says what happened: a 4xx refusal (`Some(None)`), or a 2xx
/// naming a usable id that no other intent holds (`Some(Some(id))`); `None` when it does not.
async fn clear_answer(
    tx: &tokio_postgres::Transaction<'_>,
    key: &str,
    answer: &UpstreamAnswer,
) -> Result<Option<Option<String>>, RelayError> {
    if answer.status.is_client_error() {
        return Ok(Some(None));
    }
    if !answer.status.is_success() {
        return Ok(None);
    }
    let Some(id) = answer
        .json()
        .and_then(|value| subject_id(&value).map(str::to_owned))
        .filter(|id| crate::app::live::usable_remote_id(id))
    else {
        return Ok(None);
    };
    let held = tx
        .query_opt(
            "SELECT 1 FROM intents WHERE transaction_id = $1 AND idempotency_key <> $2
             UNION SELECT 1 FROM watched WHERE transaction_id = $1",
            &[&id, &key],
        )
        .await?;
    Ok(held.is_none().then_some(Some(id)))
}

/// Stores what came of the POST and answers the desk.
// One transaction, three outcomes side by side: splitting them would hide that each branch
// writes the intent, the journal and the event together.
#[allow(clippy::too_many_lines)]
pub async fn finish(
    relay: &Relay,
    intent: &NewIntent<'_>,
    outcome: Result<UpstreamAnswer, UpstreamFailure>,
) -> Result<Response, RelayError> {
    let mut db = store::connection(&relay.pool).await?;
    let tx = db.transaction().await?;
    // Only a refusal (4xx) or an acceptance naming an id nobody holds is a clear answer; a 5xx,
    // a 2xx without a usable id, or one naming another intent's id may have been applied.
    let outcome = match outcome {
        Ok(answer) => {
            if let Some(transaction_id) = clear_answer(&tx, intent.key, &answer).await? {
                Ok((answer, transaction_id))
            } else {
                tracing::warn!(status = %answer.status, "money POST answer unclear: reconciling");
                Err((UpstreamFailure::MaybeReceived, Some(answer.status.as_u16())))
            }
        }
        Err(failure) => Err((failure, None)),
    };
    let response = match outcome {
        Ok((answer, transaction_id)) => {
            let body_text = String::from_utf8_lossy(&answer.body).into_owned();
            let accepted = answer.status.is_success();
            tx.execute(
                "UPDATE intents SET state = 'answered', answer_status = $2, answer_body = $3,
                        transaction_id = $4, answered_at = now()
                 WHERE idempotency_key = $1",
                &[
                    &intent.key,
                    &i32::from(answer.status.as_u16()),
                    &body_text,
                    &transaction_id,
                ],
            )
            .await?;
            if let Some(id) = &transaction_id {
                watched::add(
                    &tx,
                    id,
                    intent.kind,
                    intent.operator,
                    intent.key,
                    intent.terms,
                )
                .await?;
            }
            journal::record(
                &tx,
                intent.operator,
                "outcome",
                Some(intent.key),
                &json!({"httpStatus": answer.status.as_u16(), "transactionId": transaction_id,
                        "answer": answer.json()}),
            )
            .await?;
            let status = if accepted { "ACCEPTED" } else { "REFUSED" };
            events::notify(
                &tx,
                &TeamEvent::new("outcome", intent.key, intent.operator, Some(status)),
            )
            .await?;
            Ok(pass_on(answer))
        }
        Err((UpstreamFailure::NotSent, _)) => {
            // Nothing reached P100: the key is freed (and its approval given back), so the
            // request can be made again; this is the one failure where that is safe.
            tx.execute(
                "DELETE FROM intents WHERE idempotency_key = $1",
                &[&intent.key],
            )
            .await?;
            if let Some(proposal) = intent.proposal {
                tx.execute(
                    "UPDATE proposals SET state = 'approved', used_by_key = NULL
                     WHERE id = $1 AND used_by_key = $2",
                    &[&proposal, &intent.key],
                )
                .await?;
            }
            journal::record(
                &tx,
                intent.operator,
                "not-sent",
                Some(intent.key),
                &json!({}),
            )
            .await?;
            Err(RelayError::refused(
                StatusCode::BAD_GATEWAY,
                "R503",
                "upstream-unreachable",
                "the relay could not connect to P100; nothing was sent",
            ))
        }
        Err((UpstreamFailure::MaybeReceived, http_status)) => {
            // Read back from the history by the poller leader (`reconcile`), never re-sent.
            tx.execute(
                "UPDATE intents SET state = 'unknown', answered_at = now(),
                        reconcile_next_at = now() + make_interval(secs => $2)
                 WHERE idempotency_key = $1",
                &[&intent.key, &relay.settings.reconcile_every.as_secs_f64()],
            )
            .await?;
            journal::record(
                &tx,
                intent.operator,
                "unknown",
                Some(intent.key),
                &json!({"httpStatus": http_status}),
            )
            .await?;
            events::notify(
                &tx,
                &TeamEvent::new("outcome", intent.key, intent.operator, Some("UNKNOWN")),
            )
            .await?;
            Err(outcome_unknown())
        }
    };
    tx.commit().await?;
    response
}
