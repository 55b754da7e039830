//! Unknown outcomes of the team's money POSTs, read back from P100's transaction history by the
//! poller leader and never re-sent. The row test and the verdict are the desk's own
//! ([`matches_attempt`], [`verdict`]): one candidate inside the time window is the attempt;
//! none, after enough reads over a long enough span, means it was not applied; anything else
//! is ambiguous and left to a person. An id that any intent or watched row already holds is
//! never a candidate, and a unique index keeps it so under races.

use std::time::Duration;

use axum::http::Method;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::events::{self, TeamEvent};
use super::locks::decimal_of;
use super::server::Relay;
use super::watched::{self, Kind};
use super::{RelayError, journal, store};
use crate::api::models::{Currency, TransactionPage, TransactionType};
use crate::app::cmd::ReconcileQuery;
use crate::app::reconcile::{Candidate, ReconcilePolicy, Verdict, verdict};
use crate::runtime::matches_attempt;

/// History pages read per round, at most (newest first), and their size: as the desk reads.
const PAGES: u32 = 3;
const PAGE_LIMIT: u32 = 50;
/// Unknown intents looked at per round.
const ROUND_INTENTS: i64 = 50;

/// The desk's policy with the relay's pace: first look and backoff base, and the least span
/// of empty reads before "not applied".
pub fn policy(every: Duration, min_span: Duration) -> ReconcilePolicy {
    ReconcilePolicy {
        first: every,
        max: ReconcilePolicy::default().max.max(every),
        min_span,
        ..ReconcilePolicy::default()
    }
}

/// One unknown intent due for a look.
struct Due {
    key: String,
    kind: Kind,
    operator: String,
    terms: Value,
    sent_at: DateTime<Utc>,
    misses: i32,
    first_miss_at: Option<DateTime<Utc>>,
}

/// What the history says of one intent.
enum Decision {
    Found(String),
    Wait {
        misses: i32,
        first: DateTime<Utc>,
    },
    NotApplied {
        misses: i32,
        first: DateTime<Utc>,
    },
    Ambiguous(Vec<Candidate>),
    /// The history could not be read: proves nothing, look again later.
    Unreadable,
}

/// One pass over the unknown intents that are due; returns how many were decided or
/// rescheduled. Run by the poller leader only, so the team reads the history once.
pub async fn round(relay: &Relay) -> Result<usize, RelayError> {
    let due = due(relay).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let policy = policy(
        relay.settings.reconcile_every,
        relay.settings.reconcile_min_span,
    );
    let lookback = chrono::Duration::from_std(policy.lookback).unwrap_or_default();
    let oldest = due
        .iter()
        .map(|intent| intent.sent_at)
        .min()
        .unwrap_or_else(Utc::now)
        - lookback;
    let history = read_history(relay, oldest).await;
    let claimed = claimed_ids(relay).await?;
    let now = Utc::now();
    for intent in &due {
        let decision = match &history {
            None => Decision::Unreadable,
            Some(rows) => decide(intent, rows, &claimed, &policy, now),
        };
        if let Err(error) = store_decision(relay, intent, decision, &policy).await {
            tracing::warn!(%error, key = intent.key, "reconciliation not stored");
        }
    }
    Ok(due.len())
}

async fn due(relay: &Relay) -> Result<Vec<Due>, RelayError> {
    let db = store::connection(&relay.pool).await?;
    let rows = db
        .query(
            "SELECT idempotency_key, kind, operator, terms, created_at, reconcile_misses,
                    reconcile_first_miss_at
             FROM intents
             WHERE state = 'unknown' AND (reconcile_next_at IS NULL OR reconcile_next_at <= now())
             ORDER BY reconcile_next_at NULLS FIRST LIMIT $1",
            &[&ROUND_INTENTS],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Due {
                key: row.get(0),
                kind: Kind::parse(&row.get::<_, String>(1))?,
                operator: row.get(2),
                terms: row.get(3),
                sent_at: row.get(4),
                misses: row.get(5),
                first_miss_at: row.get(6),
            })
        })
        .collect())
}

/// The newest history pages back to `since`, or `None` when any page could not be read.
async fn read_history(
    relay: &Relay,
    since: DateTime<Utc>,
) -> Option<Vec<crate::api::models::Transaction>> {
    let mut rows = Vec::new();
    for page in 1..=PAGES {
        relay.budget.acquire().await;
        let path = format!(
            "{}?page={page}&limit={PAGE_LIMIT}",
            relay.paths.transactions
        );
        let answer = relay.upstream.send(Method::GET, &path, None).await.ok()?;
        if !answer.status.is_success() {
            return None;
        }
        let listed: TransactionPage = serde_json::from_slice(&answer.body).ok()?;
        let count = listed.transactions.len();
        let reached_older = listed
            .transactions
            .last()
            .and_then(|tx| tx.created_at)
            .is_some_and(|created| created < since);
        rows.extend(listed.transactions);
        if count < PAGE_LIMIT as usize || reached_older {
            break;
        }
    }
    Some(rows)
}

/// Every P100 id the team already holds: an intent's outcome or a watched row.
async fn claimed_ids(relay: &Relay) -> Result<Vec<String>, RelayError> {
    let db = store::connection(&relay.pool).await?;
    let rows = db
        .query(
            "SELECT transaction_id FROM intents WHERE transaction_id IS NOT NULL
             UNION SELECT transaction_id FROM watched",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// What the desk would search for: kind, currency and amount of the intent's stored terms.
fn query_of(
    intent: &Due,
    claimed: &[String],
    lookback: chrono::Duration,
) -> Option<ReconcileQuery> {
    let text = |field: &str| {
        intent
            .terms
            .get(field)
            .and_then(Value::as_str)
            .map(Currency::new)
    };
    let amount: Decimal = decimal_of(intent.terms.get("amount"))?;
    let (kind, currency, currency_to) = match intent.kind {
        Kind::Exchange => (
            TransactionType::Exchange,
            text("currencyFrom")?,
            Some(text("currencyTo")?),
        ),
        // An order's history row is in the fiat it settles, for the locked fiat amount.
        Kind::Order => (TransactionType::Order, text("destinationCurrency")?, None),
    };
    Some(ReconcileQuery {
        kind,
        currency,
        amount,
        currency_to,
        sent_at: intent.sent_at,
        since: intent.sent_at - lookback,
        exclude: claimed.to_vec(),
    })
}

fn decide(
    intent: &Due,
    history: &[crate::api::models::Transaction],
    claimed: &[String],
    policy: &ReconcilePolicy,
    now: DateTime<Utc>,
) -> Decision {
    let lookback = chrono::Duration::from_std(policy.lookback).unwrap_or_default();
    let Some(query) = query_of(intent, claimed, lookback) else {
        // Terms the relay cannot search by: a person must look.
        return Decision::Ambiguous(Vec::new());
    };
    let candidates = history
        .iter()
        .filter(|tx| matches_attempt(tx, &query))
        .map(|tx| Candidate {
            id: tx.id.clone(),
            created_at: tx.created_at,
            status: tx.status.as_str().to_owned(),
            amount: tx.amount,
            currency: tx.currency.clone(),
            currency_to: tx.currency_to.clone(),
            amount_to: tx.amount_to,
            in_window: false,
        })
        .collect();
    match verdict(candidates, intent.sent_at, policy) {
        Verdict::Found(id) => Decision::Found(id),
        Verdict::Ambiguous(candidates) => Decision::Ambiguous(candidates),
        Verdict::Nothing => {
            let misses = intent.misses + 1;
            let first = intent.first_miss_at.unwrap_or(now);
            let span = (now - first).to_std().unwrap_or_default();
            if u32::try_from(misses).unwrap_or(u32::MAX) >= policy.misses && span >= policy.min_span
            {
                Decision::NotApplied { misses, first }
            } else {
                Decision::Wait { misses, first }
            }
        }
    }
}

/// The wait before the next look: doubling from `first` up to `max`.
fn backoff(policy: &ReconcilePolicy, misses: i32) -> Duration {
    let doublings = u32::try_from(misses.clamp(0, 16)).unwrap_or(0);
    policy
        .first
        .saturating_mul(1 << doublings)
        .min(policy.max.max(policy.first))
}

/// The answer a repeated POST gets once the history showed the attempt.
pub fn found_answer(kind: Kind, id: &str) -> String {
    json!({ kind.id_field(): id }).to_string()
}

// One transaction per decision, each branch writing the intent, the journal and the event
// together: splitting them would hide that.
#[allow(clippy::too_many_lines)]
async fn store_decision(
    relay: &Relay,
    intent: &Due,
    decision: Decision,
    policy: &ReconcilePolicy,
) -> Result<(), RelayError> {
    let mut db = store::connection(&relay.pool).await?;
    let tx = db.transaction().await?;
    let reschedule = |misses: i32| backoff(policy, misses).as_secs_f64();
    match decision {
        Decision::Unreadable => {
            tx.execute(
                "UPDATE intents SET reconcile_next_at = now() + make_interval(secs => $2)
                 WHERE idempotency_key = $1 AND state = 'unknown'",
                &[&intent.key, &reschedule(intent.misses)],
            )
            .await?;
        }
        Decision::Wait { misses, first } => {
            tx.execute(
                "UPDATE intents SET reconcile_misses = $2, reconcile_first_miss_at = $3,
                        reconcile_next_at = now() + make_interval(secs => $4)
                 WHERE idempotency_key = $1 AND state = 'unknown'",
                &[&intent.key, &misses, &first, &reschedule(misses)],
            )
            .await?;
        }
        Decision::Found(id) => {
            // Claimed meanwhile by another intent (the unique index says so): not ours; the
            // next look excludes it.
            let owned = tx
                .query_opt(
                    "SELECT 1 FROM intents WHERE transaction_id = $1
                     UNION SELECT 1 FROM watched WHERE transaction_id = $1",
                    &[&id],
                )
                .await?;
            if owned.is_some() {
                return Ok(());
            }
            let updated = tx
                .execute(
                    "UPDATE intents SET state = 'reconciled', transaction_id = $2,
                            answer_status = 200, answer_body = $3, answered_at = now(),
                            reconcile_next_at = NULL
                     WHERE idempotency_key = $1 AND state = 'unknown'",
                    &[&intent.key, &id, &found_answer(intent.kind, &id)],
                )
                .await?;
            if updated == 0 {
                return Ok(());
            }
            watched::add(
                &tx,
                &id,
                intent.kind,
                &intent.operator,
                &intent.key,
                &intent.terms,
            )
            .await?;
            journal::record(
                &tx,
                &intent.operator,
                "reconciled",
                Some(&intent.key),
                &json!({"transactionId": id, "note": "found in the transaction history"}),
            )
            .await?;
            events::notify(
                &tx,
                &TeamEvent::new("outcome", &intent.key, &intent.operator, Some("RECONCILED")),
            )
            .await?;
        }
        Decision::NotApplied { misses, first } => {
            let updated = tx
                .execute(
                    "UPDATE intents SET state = 'not_applied', reconcile_misses = $2,
                            reconcile_first_miss_at = $3, reconcile_next_at = NULL,
                            answered_at = now()
                     WHERE idempotency_key = $1 AND state = 'unknown'",
                    &[&intent.key, &misses, &first],
                )
                .await?;
            if updated == 0 {
                return Ok(());
            }
            journal::record(
                &tx,
                &intent.operator,
                "reconciled",
                Some(&intent.key),
                &json!({"transactionId": null, "reads": misses, "since": first,
                        "note": "not in the transaction history: it was not applied"}),
            )
            .await?;
            events::notify(
                &tx,
                &TeamEvent::new(
                    "outcome",
                    &intent.key,
                    &intent.operator,
                    Some("NOT_APPLIED"),
                ),
            )
            .await?;
        }
        Decision::Ambiguous(candidates) => {
            let updated = tx
                .execute(
                    "UPDATE intents SET state = 'ambiguous', reconcile_next_at = NULL
                     WHERE idempotency_key = $1 AND state = 'unknown'",
                    &[&intent.key],
                )
                .await?;
            if updated == 0 {
                return Ok(());
            }
            let listed: Vec<Value> = candidates
                .iter()
                .map(|c| {
                    json!({"id": c.id, "createdAt": c.created_at, "status": c.status,
                           "inWindow": c.in_window})
                })
                .collect();
            journal::record(
                &tx,
                &intent.operator,
                "reconcile-ambiguous",
                Some(&intent.key),
                &json!({"candidates": listed,
                        "note": "the history cannot say which row is this attempt (if any): \
                                 nothing is assumed; a person decides"}),
            )
            .await?;
            events::notify(
                &tx,
                &TeamEvent::new("outcome", &intent.key, &intent.operator, Some("AMBIGUOUS")),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_back_off_from_the_first_to_the_cap() {
        let policy = policy(Duration::from_secs(1), Duration::from_secs(10));
        assert_eq!(backoff(&policy, 0), Duration::from_secs(1));
        assert_eq!(backoff(&policy, 2), Duration::from_secs(4));
        assert_eq!(backoff(&policy, 30), policy.max);
    }

    #[test]
    fn an_order_is_searched_in_its_fiat_and_an_exchange_by_its_pair() {
        let order = Due {
            key: "k".into(),
            kind: Kind::Order,
            operator: "olga".into(),
            terms: json!({"currency": "usdc", "amount": "346.59", "destinationCurrency": "eur"}),
            sent_at: Utc::now(),
            misses: 0,
            first_miss_at: None,
        };
        let query =
            query_of(&order, &["taken".into()], chrono::Duration::hours(1)).expect("order terms");
        assert_eq!(query.kind, TransactionType::Order);
        assert_eq!(query.currency, Currency::new("eur"));
        assert_eq!(query.amount, Decimal::new(34659, 2));
        assert_eq!(query.exclude, vec!["taken".to_owned()]);
        let exchange = Due {
            kind: Kind::Exchange,
            terms: json!({"currencyFrom": "ETH", "currencyTo": "eur", "amount": "0.5"}),
            ..order
        };
        let query = query_of(&exchange, &[], chrono::Duration::hours(1)).expect("exchange terms");
        assert_eq!(
            (query.currency, query.currency_to),
            (Currency::new("eth"), Some(Currency::new("eur")))
        );
    }
}
