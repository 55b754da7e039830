//! The journal's writer thread: appends and fsyncs lines in order, off the async workers, and
//! tells the caller when a line is on disk.

use std::io;
use std::thread;

use tokio::sync::{mpsc, oneshot};

use crate::journal::{Entry, Journal};

type Request = (Entry, Option<oneshot::Sender<io::Result<()>>>);

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
                    let result = journal.append(&entry);
                    if let Err(error) = &result {
                        tracing::error!(%error, intent = %entry.intent, "journal append failed");
                    }
                    if let Some(ack) = ack {
                        let _ = ack.send(result);
                    }
                }
            })?;
        Ok(Self { requests })
    }

    /// Appends `entry` and returns once it is synced to disk (or failed).
    pub async fn append(&self, entry: Entry) -> io::Result<()> {
        let (ack, done) = oneshot::channel();
        self.requests
            .send((entry, Some(ack)))
            .map_err(|_| io::Error::other("the journal writer has stopped"))?;
        done.await
            .map_err(|_| io::Error::other("the journal writer has stopped"))?
    }
}
