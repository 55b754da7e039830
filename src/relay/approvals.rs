//! Four eyes: a money POST worth more than `approval_above_eur` needs an approved proposal
//! (pair, amount, indicative rate, maximum deviation) by someone else; the POST must keep the
//! approved pair and amount, its locked rate must be within the deviation, and an approval is
//! used once.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::events::{self, TeamEvent};
use super::locks::decimal_of;
use super::operators::{Operator, Role};
use super::server::{Relay, operator_of};
use super::watched::Kind;
use super::{RelayError, journal, store};

/// The fields that must be equal between a proposal and the POST, per kind.
fn pinned_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Exchange => &["currencyFrom", "currencyTo"],
        Kind::Order => &["currency", "network", "destinationCurrency"],
    }
}

fn same_terms(kind: Kind, proposal: &Value, terms: &Value) -> bool {
    pinned_fields(kind)
        .iter()
        .all(|field| proposal.get(field) == terms.get(field))
        && decimal_of(proposal.get("amount")).is_some()
        && decimal_of(proposal.get("amount")) == decimal_of(terms.get("amount"))
}

/// |rate - indicative| <= indicative x deviation.
fn within_deviation(rate: Option<Decimal>, indicative: Decimal, deviation: Decimal) -> bool {
    rate.is_some_and(|rate| (rate - indicative).abs() <= indicative.abs() * deviation)
}

/// `None` when no approval is needed; `Some(id)` of the approved proposal the POST uses; or
/// a refusal (R409 with a new proposal, or R412 outside the approved terms).
pub async fn check(
    relay: &Relay,
    operator: &Operator,
    kind: Kind,
    terms: &Value,
) -> Result<Option<i64>, RelayError> {
    let Some(limit) = relay.settings.approval_above_eur else {
        return Ok(None);
    };
    let value = relay.rates.value_eur(relay, kind, terms).await;
    if value.is_some_and(|value| value <= limit) {
        return Ok(None);
    }
    let mut db = store::connection(&relay.pool).await?;
    let approved = db
        .query(
            "SELECT id, terms, indicative_rate, max_deviation FROM proposals
             WHERE proposer = $1 AND kind = $2 AND state = 'approved' ORDER BY id",
            &[&operator.name, &kind.as_str()],
        )
        .await?;
    let rate = decimal_of(terms.get("rate"));
    let mut outside = false;
    for row in &approved {
        let proposal: Value = row.get(1);
        if !same_terms(kind, &proposal, terms) {
            continue;
        }
        let indicative = row
            .get::<_, String>(2)
            .parse::<Decimal>()
            .unwrap_or_default();
        let deviation = row
            .get::<_, String>(3)
            .parse::<Decimal>()
            .unwrap_or_default();
        if within_deviation(rate, indicative, deviation) {
            return Ok(Some(row.get(0)));
        }
        outside = true;
    }
    if outside {
        return Err(RelayError::refused(
            StatusCode::PRECONDITION_FAILED,
            "R412",
            "outside-approved-terms",
            "the locked rate is outside the approved deviation; lock again or propose anew",
        ));
    }
    Err(propose(relay, &mut db, operator, kind, terms, value, limit).await)
}

/// Creates (or finds the same pending) proposal for these terms; returns the R409 refusal.
async fn propose(
    relay: &Relay,
    db: &mut deadpool_postgres::Object,
    operator: &Operator,
    kind: Kind,
    terms: &Value,
    value: Option<Decimal>,
    limit: Decimal,
) -> RelayError {
    let created = create_proposal(relay, db, operator, kind, terms, value).await;
    let (id, value_text) = match created {
        Ok(created) => created,
        Err(error) => return error,
    };
    // The desk tells its user who can approve: every other approver with a live token.
    let approvers = match db
        .query(
            "SELECT name FROM operators WHERE role = 'approver' AND revoked_at IS NULL
               AND name <> $1 ORDER BY name",
            &[&operator.name],
        )
        .await
    {
        Ok(rows) => rows.iter().map(|row| row.get::<_, String>(0)).collect(),
        Err(_) => Vec::<String>::new(),
    };
    let who = if approvers.is_empty() {
        "no other approver is registered yet".to_owned()
    } else {
        format!("approvers: {}", approvers.join(", "))
    };
    RelayError::refused(
        StatusCode::CONFLICT,
        "R409",
        "approval-required",
        format!(
            "above the team's approval limit ({value_text} EUR > {limit} EUR): proposal \
             #{id} waits for an approver ({who}); lock and confirm again once it is approved"
        ),
    )
}

async fn create_proposal(
    relay: &Relay,
    db: &mut deadpool_postgres::Object,
    operator: &Operator,
    kind: Kind,
    terms: &Value,
    value: Option<Decimal>,
) -> Result<(i64, String), RelayError> {
    let rate = decimal_of(terms.get("rate"));
    let proposed: Value = pinned_fields(kind)
        .iter()
        .map(|field| {
            (
                (*field).to_owned(),
                terms.get(field).cloned().unwrap_or(Value::Null),
            )
        })
        .chain([(
            "amount".to_owned(),
            terms.get("amount").cloned().unwrap_or(Value::Null),
        )])
        .collect::<serde_json::Map<_, _>>()
        .into();
    let value_text = value.map_or_else(
        || "unpriced".to_owned(),
        |value| value.round_dp(2).to_string(),
    );
    let tx = db.transaction().await?;
    let existing = tx
        .query_opt(
            "SELECT id FROM proposals WHERE proposer = $1 AND kind = $2 AND state = 'pending'
               AND terms = $3",
            &[&operator.name, &kind.as_str(), &proposed],
        )
        .await?;
    let id: i64 = if let Some(row) = existing {
        row.get(0)
    } else {
        let row = tx
            .query_one(
                "INSERT INTO proposals (kind, proposer, terms, amount_eur, indicative_rate,
                                        max_deviation, state)
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending') RETURNING id",
                &[
                    &kind.as_str(),
                    &operator.name,
                    &proposed,
                    &value_text,
                    &rate.unwrap_or_default().to_string(),
                    &relay.settings.max_deviation.to_string(),
                ],
            )
            .await?;
        let id: i64 = row.get(0);
        journal::record(
            &tx,
            &operator.name,
            "proposal",
            Some(&id.to_string()),
            &json!({"kind": kind.as_str(), "terms": proposed, "valueEur": value_text}),
        )
        .await?;
        events::notify(
            &tx,
            &TeamEvent::new("proposal", &id.to_string(), &operator.name, Some("PENDING")),
        )
        .await?;
        id
    };
    tx.commit().await?;
    Ok((id, value_text))
}

/// `GET /relay/v1/proposals`: the newest 200, any operator.
pub async fn list(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Json<Value>, RelayError> {
    operator_of(&relay, &headers).await?;
    let db = store::connection(&relay.pool).await?;
    let rows = db
        .query(
            "SELECT id, kind, proposer, terms, amount_eur, indicative_rate, max_deviation, state,
                    approver, created_at, approved_at
             FROM proposals ORDER BY id DESC LIMIT 200",
            &[],
        )
        .await?;
    Ok(Json(
        json!({"proposals": rows.iter().map(proposal_json).collect::<Vec<_>>()}),
    ))
}

fn proposal_json(row: &tokio_postgres::Row) -> Value {
    json!({
        "id": row.get::<_, i64>(0),
        "kind": row.get::<_, String>(1),
        "proposer": row.get::<_, String>(2),
        "terms": row.get::<_, Value>(3),
        "amountEur": row.get::<_, String>(4),
        "indicativeRate": row.get::<_, String>(5),
        "maxDeviation": row.get::<_, String>(6),
        "state": row.get::<_, String>(7),
        "approver": row.get::<_, Option<String>>(8),
        "createdAt": row.get::<_, chrono::DateTime<chrono::Utc>>(9),
        "approvedAt": row.get::<_, Option<chrono::DateTime<chrono::Utc>>>(10),
    })
}

/// `POST /relay/v1/proposals/{id}/approve`: approvers only, never their own.
pub async fn approve(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Value>, RelayError> {
    let operator = operator_of(&relay, &headers).await?;
    operator.require(Role::Approver, "approving")?;
    let mut db = store::connection(&relay.pool).await?;
    let tx = db.transaction().await?;
    let Some(row) = tx
        .query_opt(
            "SELECT proposer, state FROM proposals WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
    else {
        return Err(RelayError::refused(
            StatusCode::NOT_FOUND,
            "R404",
            "proposal-not-found",
            format!("no proposal #{id}"),
        ));
    };
    let (proposer, state): (String, String) = (row.get(0), row.get(1));
    if proposer == operator.name {
        return Err(RelayError::refused(
            StatusCode::FORBIDDEN,
            "R403",
            "self-approval",
            "nobody approves their own proposal",
        ));
    }
    if state != "pending" {
        return Err(RelayError::refused(
            StatusCode::CONFLICT,
            "R410",
            "not-pending",
            format!("proposal #{id} is {state}"),
        ));
    }
    let row = tx
        .query_one(
            "UPDATE proposals SET state = 'approved', approver = $2, approved_at = now()
             WHERE id = $1
             RETURNING id, kind, proposer, terms, amount_eur, indicative_rate, max_deviation,
                       state, approver, created_at, approved_at",
            &[&id, &operator.name],
        )
        .await?;
    journal::record(
        &tx,
        &operator.name,
        "approval",
        Some(&id.to_string()),
        &json!({"proposer": proposer}),
    )
    .await?;
    events::notify(
        &tx,
        &TeamEvent::new(
            "approval",
            &id.to_string(),
            &operator.name,
            Some("APPROVED"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(proposal_json(&row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviation_is_relative_to_the_indicative_rate() {
        let indicative = Decimal::new(2500, 0);
        let one_percent = Decimal::new(1, 2);
        assert!(within_deviation(
            Some(Decimal::new(2525, 0)),
            indicative,
            one_percent
        ));
        assert!(!within_deviation(
            Some(Decimal::new(2526, 0)),
            indicative,
            one_percent
        ));
        assert!(!within_deviation(None, indicative, one_percent));
    }

    #[test]
    fn terms_must_match_pair_and_amount() {
        let proposal = json!({"currencyFrom": "eth", "currencyTo": "eur", "amount": "10"});
        let same =
            json!({"currencyFrom": "eth", "currencyTo": "eur", "amount": "10.0", "rate": "1"});
        assert!(same_terms(Kind::Exchange, &proposal, &same));
        let more = json!({"currencyFrom": "eth", "currencyTo": "eur", "amount": "10.01"});
        assert!(!same_terms(Kind::Exchange, &proposal, &more));
    }
}
