//! The team relay's tasks: the event stream (who this desk is, then `GET /relay/v1/events`
//! for as long as the desk runs, reconnecting with backoff) and the approval POST.
//!
//! Started only when the profile says the server is a relay, so a desk on plain P100 sends
//! no request it did not send before.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::journal_writer::JournalWriter;
use crate::api::ApiClient;
use crate::api::team::PushedEvent;
use crate::app::cmd::Cmd;
use crate::app::live::WatchTarget;
use crate::app::msg::Msg;
use crate::app::team::PushLink;
use crate::journal::{Entry, Event};

/// The relay sends a keep-alive every 15 s: three missed mean the stream is gone.
const SILENCE: Duration = Duration::from_secs(45);
/// Reconnect waits: 0.5 s doubling to 30 s; back to the start after a stream that worked.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);

type ToApp = mpsc::UnboundedSender<Msg>;

/// Asks who this desk is (until the relay answers or clearly refuses), then keeps the event
/// stream open. Ends when the app is gone (its channel closed).
pub async fn run(client: ApiClient, to_app: ToApp) {
    let mut wait = FIRST_RETRY;
    loop {
        match client.team_identity().await {
            Ok(me) => {
                if to_app.send(Msg::TeamIdentity(Ok(me))).is_err() {
                    return;
                }
                break;
            }
            Err(error) if error.is_retryable() => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY);
            }
            Err(error) => {
                // Not a relay (404), or a token it does not know: nothing to stream from.
                let _ = to_app.send(Msg::TeamIdentity(Err(error)));
                return;
            }
        }
    }
    let mut wait = FIRST_RETRY;
    loop {
        let reason = match client.team_events().await {
            Ok(mut events) => {
                if to_app.send(Msg::Push(PushLink::Live)).is_err() {
                    return;
                }
                wait = FIRST_RETRY;
                loop {
                    match events.next(SILENCE).await {
                        Ok(Some(event)) => {
                            let pushed = PushedEvent::of(&event);
                            if to_app.send(Msg::TeamPushed(pushed)).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break "the relay closed the stream".to_owned(),
                        Err(error) => break error.short_reason(),
                    }
                }
            }
            Err(error) => error.short_reason(),
        };
        if to_app.send(Msg::Push(PushLink::Down { reason })).is_err() {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_RETRY);
    }
}

/// Runs one of the relay desk's commands; answers on `to_app`.
pub async fn execute(cmd: Cmd, client: ApiClient, journal: Option<JournalWriter>, to_app: ToApp) {
    let msg = match cmd {
        Cmd::CheckNow(WatchTarget::Exchange(id)) => {
            let result = client.single_attempt().exchange_details(&id).await;
            Msg::ExchangePolled { id, result }
        }
        Cmd::CheckNow(WatchTarget::Order(id)) => {
            let result = client.single_attempt().order_details(&id).await;
            Msg::OrderPolled { id, result }
        }
        Cmd::LoadTeamPending => Msg::TeamPending(client.team_pending().await),
        Cmd::LoadProposals => Msg::ProposalsLoaded(client.proposals().await),
        Cmd::ApproveProposal { id, entry } => {
            approve(client, journal, id, entry, to_app).await;
            return;
        }
        // The runtime runs every other command itself.
        _ => return,
    };
    let _ = to_app.send(msg);
}

/// Journals the approval (synced), sends it once, journals how it ended. Without a journal,
/// or when the journal cannot record it, nothing is sent.
async fn approve(
    client: ApiClient,
    journal: Option<JournalWriter>,
    id: i64,
    entry: Entry,
    to_app: ToApp,
) {
    let Some(journal) = journal else {
        let _ = to_app.send(Msg::ProposalApproved {
            id,
            result: Err("no journal is open, so nothing was sent".into()),
        });
        return;
    };
    if let Err(error) = journal.append(entry.clone()).await {
        let _ = to_app.send(Msg::JournalFailed {
            error: error.to_string(),
        });
        let _ = to_app.send(Msg::ProposalApproved {
            id,
            result: Err(format!(
                "the journal could not record it ({error}), so nothing was sent"
            )),
        });
        return;
    }
    let result = client
        .approve_proposal(id)
        .await
        .map_err(|error| error.user_message());
    let step = match &result {
        Ok(_) => "approved".to_owned(),
        Err(why) => format!("refused: {why}"),
    };
    let event = match entry.event.clone() {
        Event::Approval {
            proposal,
            proposer,
            terms,
            ..
        } => Event::Approval {
            proposal,
            proposer,
            terms,
            step,
        },
        other => other,
    };
    let outcome = Entry {
        at: Utc::now(),
        event,
        ..entry
    };
    if let Err(error) = journal.append(outcome).await {
        let _ = to_app.send(Msg::JournalFailed {
            error: error.to_string(),
        });
    }
    let _ = to_app.send(Msg::ProposalApproved { id, result });
}
