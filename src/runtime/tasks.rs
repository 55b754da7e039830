//! The tasks behind `Cmd`s that talk to the API: each runs on its own and answers with a `Msg`.
//! Money-moving ones journal the intent (synced) before the POST and the outcome after it.

use std::future::Future;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::journal_writer::JournalWriter;
use crate::api::error::ApiError;
use crate::api::models::Transaction;
use crate::api::{ApiClient, Priority};
use crate::app::cmd::ReconcileQuery;
use crate::app::live::usable_remote_id;
use crate::app::money_actions::{MoneyPost, TradeAccepted};
use crate::app::msg::{Msg, SubmitError};
use crate::app::reconcile::Candidate;
use crate::journal::{Attempt, Entry, Event};

/// History pages searched when reconciling (newest first; an attempt is minutes old).
const RECONCILE_PAGES: u32 = 3;
const RECONCILE_PAGE_LIMIT: u32 = 50;

type ToApp = mpsc::UnboundedSender<Msg>;

/// The journal line recording how a money-moving POST ended.
fn outcome_entry<T>(
    intent: &Entry,
    result: &Result<T, ApiError>,
    id: impl Fn(&T) -> String,
) -> Entry {
    let event = match result {
        Ok(answer) => Event::Accepted {
            remote_id: id(answer),
            attempt: Attempt::of_intent(&intent.event),
        },
        Err(error) if error.outcome_unknown() => Event::Unknown {
            reason: error.user_message(),
        },
        Err(error) => Event::Rejected {
            reason: error.user_message(),
        },
    };
    Entry {
        at: Utc::now(),
        event,
        ..intent.clone()
    }
}

/// The one path every money-moving POST takes: journal the intent (synced), send `post` exactly
/// once, journal the outcome, and hand the answer to the app. Without a journal nothing is sent.
async fn submit_once<T, F>(
    journal: Option<JournalWriter>,
    intent: Entry,
    post: F,
    remote_id: impl Fn(&T) -> String,
    to_app: &ToApp,
) -> Result<T, SubmitError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    let Some(journal) = journal else {
        return Err(SubmitError::Journal("no journal is open".into()));
    };
    if let Err(error) = journal.append(intent.clone()).await {
        let _ = to_app.send(Msg::JournalFailed {
            error: error.to_string(),
        });
        return Err(SubmitError::Journal(error.to_string()));
    }
    let result = post.await.and_then(|answer| {
        let id = remote_id(&answer);
        if usable_remote_id(&id) {
            Ok(answer)
        } else {
            Err(unusable_id(&id))
        }
    });
    let outcome = outcome_entry(&intent, &result, remote_id);
    let _ = to_app.send(match journal.append(outcome).await {
        Ok(()) => Msg::JournalWritten,
        Err(error) => Msg::JournalFailed {
            error: error.to_string(),
        },
    });
    result.map_err(SubmitError::Api)
}

/// A 2xx whose id cannot name anything (empty, `..`, a slash): the POST may have been applied,
/// but there is nothing to poll, so it is an unknown outcome to reconcile from the history.
fn unusable_id(id: &str) -> ApiError {
    let shown: String = id.chars().filter(|c| !c.is_control()).take(40).collect();
    ApiError::OutcomeUnknown {
        cause: Box::new(ApiError::Decode {
            message: format!("P100 accepted it but sent an unusable id ({shown:?})"),
            excerpt: String::new(),
        }),
    }
}

/// Journals the intent, sends the POST exactly once before `deadline` (or not at all: a pause
/// P100 asked for that outlasts it refuses without sending), journals the outcome, reports.
pub async fn submit(
    client: ApiClient,
    journal: Option<JournalWriter>,
    intent: Entry,
    post: MoneyPost,
    deadline: DateTime<Utc>,
    to_app: ToApp,
) {
    let key = intent.intent.clone();
    // An async fn's future sends nothing until awaited: after the intent is on disk.
    let post = post.send(&client, &key, instant_at(deadline));
    let result = submit_once(
        journal,
        intent,
        post,
        |accepted: &TradeAccepted| accepted.remote_id().to_owned(),
        &to_app,
    )
    .await;
    let _ = to_app.send(Msg::Submitted {
        intent: key,
        result,
    });
}

/// The monotonic instant of a wall-clock time (now, if it has passed).
fn instant_at(at: DateTime<Utc>) -> Instant {
    let left = (at - Utc::now()).to_std().unwrap_or_default();
    Instant::now()
        .checked_add(left)
        .unwrap_or_else(Instant::now)
}

/// Searches the newest history pages for rows that could be the attempt described by `query`.
pub async fn reconcile(client: ApiClient, intent: String, query: ReconcileQuery, to_app: ToApp) {
    // Reading back what happened to money in flight is as urgent as checking a row.
    let client = client.at_priority(Priority::Check);
    let result = find_in_history(&client, &query).await;
    let _ = to_app.send(Msg::Reconciled { intent, result });
}

/// Every row of the newest pages (back to `query.since`) that could be the attempt; the app
/// decides whether that is one, none or ambiguous.
async fn find_in_history(
    client: &ApiClient,
    query: &ReconcileQuery,
) -> Result<Vec<Candidate>, ApiError> {
    let mut found = Vec::new();
    for page in 1..=RECONCILE_PAGES {
        let data = client.transactions(page, RECONCILE_PAGE_LIMIT).await?;
        found.extend(
            data.transactions
                .iter()
                .filter(|tx| matches_attempt(tx, query))
                .map(|tx| Candidate {
                    id: tx.id.clone(),
                    created_at: tx.created_at,
                    status: tx.status.as_str().to_string(),
                    amount: tx.amount,
                    currency: tx.currency.clone(),
                    currency_to: tx.currency_to.clone(),
                    amount_to: tx.amount_to,
                    in_window: false,
                }),
        );
        let reached_older = data
            .transactions
            .last()
            .and_then(|tx| tx.created_at)
            .is_some_and(|created| created < query.since);
        if data.transactions.len() < RECONCILE_PAGE_LIMIT as usize || reached_older {
            break;
        }
    }
    Ok(found)
}

/// Whether a history row could be the attempt: same kind, currencies and amount, not older
/// than the search reaches, with an id that can be watched, and not held by any intent of the
/// journal. (Whether it is inside the time window is the app's call.)
pub fn matches_attempt(tx: &Transaction, query: &ReconcileQuery) -> bool {
    tx.kind == query.kind
        && tx.currency == query.currency
        && tx.amount == query.amount
        && query
            .currency_to
            .as_ref()
            .is_none_or(|to| tx.currency_to.as_ref() == Some(to))
        && tx.created_at.is_none_or(|created| created >= query.since)
        && usable_remote_id(&tx.id)
        && !query.exclude.contains(&tx.id)
}
