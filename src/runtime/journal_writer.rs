//! The journal's writer thread: appends and fsyncs lines in order, off the async workers, and
//! tells the caller when a line is on disk.

use std::io;
use std::thread;

use tokio::sync::{mpsc, oneshot};

use crate::journal::{Entry, Journal};

/// A line to append (`None`: a barrier that only acknowledges the lines before it).
type Request = (Option<Entry>, Option<oneshot::Sender<io::Result<()>>>);

/// A cheap handle to the writer thread.
#[derive(Debug, Clone)]
pub struct JournalWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl JournalWriter {
    /// Moves the journal onto its own thread, which ends when every handle is dropped.
    pub fn spawn(mut journal: Journal) -> io::Result<Self> {
        let (requests, mut inbox) = mpsc::unbounded_channel::<Request>();
        thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                while let Some((entry, ack)) = inbox.blocking_recv() {
                    let result = entry.map_or(Ok(()), |entry| {
                        let result = journal.append(&entry);
                        if let Err(error) = &result {
                            tracing::error!(%error, intent = %entry.intent, "journal append failed");
                        }
                        result
                    });
                    if let Some(ack) = ack {
                        let _ = ack.send(result);
                    }
                }
            })?;
        Ok(Self { requests })
    }

    /// Appends `entry` and returns once it is synced to disk (or failed).
    pub async fn append(&self, entry: Entry) -> io::Result<()> {
        self.enqueue(entry).await
    }

    /// Queues `entry` now, in order with every line queued before it; the returned future
    /// says when it is on disk. Queuing at once (not when a task first runs) means a line
    /// the app asked for before quitting is never left behind.
    pub fn enqueue(&self, entry: Entry) -> impl Future<Output = io::Result<()>> + use<> {
        self.request(Some(entry))
    }

    /// Resolves once every line queued before it is on disk (or failed).
    pub async fn flushed(&self) -> io::Result<()> {
        self.request(None).await
    }

    fn request(&self, entry: Option<Entry>) -> impl Future<Output = io::Result<()>> + use<> {
        let (ack, done) = oneshot::channel();
        let sent = self.requests.send((entry, Some(ack)));
        async move {
            sent.map_err(|_| io::Error::other("the journal writer has stopped"))?;
            done.await
                .map_err(|_| io::Error::other("the journal writer has stopped"))?
        }
    }
}
