//! The tasks behind `Cmd`s that talk to the API: each runs on its own and answers with a `Msg`.
//! Money-moving ones journal the intent (synced) before the POST and the outcome after it.

use std::future::Future;

use chrono::Utc;
use tokio::sync::mpsc;

use super::journal_writer::JournalWriter;
use crate::api::ApiClient;
use crate::api::error::ApiError;
use crate::api::models::{ExchangeRequest, Transaction};
use crate::app::cmd::ReconcileQuery;
use crate::app::msg::{Msg, SubmitError};
use crate::journal::{Entry, Event};

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
        return Err(SubmitError::Journal(error.to_string()));
    }
    let result = post.await;
    let outcome = outcome_entry(&intent, &result, remote_id);
    if let Err(error) = journal.append(outcome).await {
        let _ = to_app.send(Msg::JournalFailed {
            error: error.to_string(),
        });
    }
    result.map_err(SubmitError::Api)
}

/// Journals the intent, sends the exchange exactly once, journals the outcome, reports.
pub async fn submit_exchange(
    client: ApiClient,
    journal: Option<JournalWriter>,
    intent: Entry,
    request: ExchangeRequest,
    to_app: ToApp,
) {
    let key = intent.intent.clone();
    // An async fn's future sends nothing until awaited: after the intent is on disk.
    let post = client.execute_exchange_keyed(&request, &key);
    let result = submit_once(journal, intent, post, |a| a.exchange_id.clone(), &to_app).await;
    let _ = to_app.send(Msg::ExchangeSubmitted {
        intent: key,
        result,
    });
}

/// Journals the intent, creates the order exactly once, journals the outcome, reports.
pub async fn submit_order(
    client: ApiClient,
    journal: Option<JournalWriter>,
    intent: Entry,
    lock_id: String,
    to_app: ToApp,
) {
    let key = intent.intent.clone();
    let post = client.create_order_keyed(&lock_id, &key);
    let result = submit_once(journal, intent, post, |c| c.order_id.clone(), &to_app).await;
    let _ = to_app.send(Msg::OrderSubmitted {
        intent: key,
        result,
    });
}

/// Searches the newest history pages for the attempt described by `query`.
pub async fn reconcile(client: ApiClient, intent: String, query: ReconcileQuery, to_app: ToApp) {
    let result = find_in_history(&client, &query).await;
    let _ = to_app.send(Msg::Reconciled { intent, result });
}

async fn find_in_history(
    client: &ApiClient,
    query: &ReconcileQuery,
) -> Result<Option<String>, ApiError> {
    for page in 1..=RECONCILE_PAGES {
        let data = client.transactions(page, RECONCILE_PAGE_LIMIT).await?;
        if let Some(found) = data
            .transactions
            .iter()
            .find(|tx| matches_attempt(tx, query))
        {
            return Ok(Some(found.id.clone()));
        }
        let reached_older = data
            .transactions
            .last()
            .and_then(|tx| tx.created_at)
            .is_some_and(|created| created < query.since);
        if data.transactions.len() < RECONCILE_PAGE_LIMIT as usize || reached_older {
            break;
        }
    }
    Ok(None)
}

/// Whether a history row is the attempt: same kind, currencies and amount, not older than the
/// attempt, and not already claimed by another row.
pub fn matches_attempt(tx: &Transaction, query: &ReconcileQuery) -> bool {
    tx.kind == query.kind
        && tx.currency == query.currency
        && tx.amount == query.amount
        && query
            .currency_to
            .as_ref()
            .is_none_or(|to| tx.currency_to.as_ref() == Some(to))
        && tx.created_at.is_none_or(|created| created >= query.since)
        && !query.exclude.contains(&tx.id)
}
