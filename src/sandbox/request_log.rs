//! A record of every request the sandbox received and how it answered, for tests that check
//! rate budgets ("no more than N calls per second") or that something was not retried.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::faults::Endpoint;

/// One request, as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// When it arrived.
    pub at: Instant,
    /// When it arrived, counted from the sandbox's start.
    pub elapsed: Duration,
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// `None` for paths the sandbox does not serve.
    pub endpoint: Option<Endpoint>,
    /// The `Idempotency-Key` header, when one came (the desk sends its journal intent id with
    /// every money POST): tests tie each POST to the confirmation it carries.
    pub idempotency_key: Option<String>,
    /// The HTTP status sent; `None` while unanswered, and for a dropped connection
    /// ([`Fault::ApplyThenDrop`](super::faults::Fault::ApplyThenDrop)) or a hang.
    pub status: Option<u16>,
    /// When the answer (or the dropped connection) was decided: a client cannot react to an
    /// answer before this.
    pub answered_at: Option<Instant>,
}

/// Every request so far, in arrival order.
#[derive(Debug)]
pub struct RequestLog {
    origin: Instant,
    /// Records with their ticket, in ticket order (one lock for both keeps them sorted).
    inner: Mutex<LogInner>,
}

#[derive(Debug, Default)]
struct LogInner {
    next_seq: u64,
    records: Vec<(u64, RequestRecord)>,
}

impl RequestLog {
    pub fn new(origin: Instant) -> Self {
        Self {
            origin,
            inner: Mutex::new(LogInner::default()),
        }
    }

    /// Records an arriving request; returns the ticket to [`finish`](Self::finish) it with.
    pub fn begin(
        &self,
        method: &str,
        path: &str,
        endpoint: Option<Endpoint>,
        idempotency_key: Option<&str>,
    ) -> u64 {
        let at = Instant::now();
        let mut inner = self.inner();
        inner.next_seq += 1;
        let seq = inner.next_seq;
        inner.records.push((
            seq,
            RequestRecord {
                at,
                elapsed: at.saturating_duration_since(self.origin),
                method: method.to_owned(),
                path: path.to_owned(),
                endpoint,
                idempotency_key: idempotency_key.map(str::to_owned),
                status: None,
                answered_at: None,
            },
        ));
        seq
    }

    /// Notes the status sent for request `seq` (`None`: no response was sent).
    pub fn finish(&self, seq: u64, status: Option<u16>) {
        let records = &mut self.inner().records;
        if let Ok(index) = records.binary_search_by_key(&seq, |(existing, _)| *existing)
            && let Some((_, record)) = records.get_mut(index)
        {
            record.status = status;
            record.answered_at = Some(Instant::now());
        }
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.inner()
            .records
            .iter()
            .map(|(_, record)| record.clone())
            .collect()
    }

    pub fn clear(&self) {
        self.inner().records.clear();
    }

    fn inner(&self) -> MutexGuard<'_, LogInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_logged_in_order_with_their_status() {
        let log = RequestLog::new(Instant::now());
        let first = log.begin(
            "GET",
            "/v1/partner/balances",
            Some(Endpoint::Balances),
            None,
        );
        let second = log.begin("POST", "/nope", None, Some("intent-1"));
        log.finish(second, Some(404));
        log.finish(first, Some(200));
        let records = log.snapshot();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].status, Some(200));
        assert_eq!(records[1].path, "/nope");
        assert_eq!(records[1].status, Some(404));
        assert_eq!(records[1].idempotency_key.as_deref(), Some("intent-1"));
        log.clear();
        log.finish(first, Some(500));
        assert!(log.snapshot().is_empty());
    }
}
