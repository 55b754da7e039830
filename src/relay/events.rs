//! Team events: written with `pg_notify` inside the transaction that stores them (so they
//! fire only if it commits), heard by every relay process through `LISTEN`, and streamed to
//! desks as server-sent events (`GET /relay/v1/events`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_postgres::AsyncMessage;

use super::server::{Relay, operator_of};
use super::{RelayError, store};

/// The NOTIFY channel all relay processes of a team listen on.
pub const CHANNEL: &str = "p100_relay";

/// One change the team should see at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamEvent {
    /// `intent`, `status`, `proposal`, `approval`.
    pub kind: String,
    /// A transaction id, idempotency key or proposal id.
    pub id: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl TeamEvent {
    pub fn new(kind: &str, id: &str, operator: &str, status: Option<&str>) -> Self {
        Self {
            kind: kind.to_owned(),
            id: id.to_owned(),
            operator: operator.to_owned(),
            status: status.map(str::to_owned),
        }
    }
}

/// Queues `event` for every listener; delivered when the transaction commits.
pub async fn notify(
    tx: &tokio_postgres::Transaction<'_>,
    event: &TeamEvent,
) -> Result<(), RelayError> {
    let payload = serde_json::to_string(event).unwrap_or_default();
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
        .await?;
    Ok(())
}

/// Listens on the channel for as long as the relay runs, reconnecting after a lost
/// connection, and hands every payload to `sender`.
pub async fn listen(config: tokio_postgres::Config, sender: broadcast::Sender<String>) {
    loop {
        match store::dedicated(&config).await {
            Ok((client, mut connection)) => {
                let (to_loop, mut messages) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut stream =
                        futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = stream.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(note)) => {
                                if to_loop.send(note.payload().to_owned()).is_err() {
                                    break;
                                }
                            }
                            Ok(_) => {}
                            Err(error) => {
                                tracing::warn!(%error, "LISTEN connection lost");
                                break;
                            }
                        }
                    }
                });
                if let Err(error) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    tracing::warn!(%error, "LISTEN failed");
                } else {
                    while let Some(payload) = messages.recv().await {
                        // No receivers is fine: nobody is streaming right now.
                        let _ = sender.send(payload);
                    }
                }
                driver.abort();
            }
            Err(error) => tracing::warn!(%error, "LISTEN connection failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `GET /relay/v1/events`: any operator; each event as `event: <kind>` with JSON data.
pub async fn stream(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, RelayError> {
    let _operator = operator_of(&relay, &headers).await?;
    let receiver = relay.events.subscribe();
    let hello = futures::stream::once(async { Ok(Event::default().event("hello").data("{}")) });
    let events = tokio_stream_from(receiver).map(|payload| {
        let kind = serde_json::from_str::<TeamEvent>(&payload)
            .map_or_else(|_| "event".to_owned(), |event| event.kind);
        Ok(Event::default().event(kind).data(payload))
    });
    Ok(
        Sse::new(hello.chain(events))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}

/// Broadcast payloads as a stream; a subscriber that fell behind gets a `lagged` marker so a
/// desk knows to re-read the team's rows.
fn tokio_stream_from(receiver: broadcast::Receiver<String>) -> impl Stream<Item = String> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Ok(payload) => Some((payload, receiver)),
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let lagged = TeamEvent::new("lagged", "", "", None);
                Some((serde_json::to_string(&lagged).unwrap_or_default(), receiver))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
}
