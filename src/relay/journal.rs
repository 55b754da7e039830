//! The team journal: one row per intent, outcome, status change, proposal and approval, with
//! the operator's name; `p100-desk relay journal` prints it.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde_json::Value;

use super::{RelayError, store};

/// One row of the team journal.
#[derive(Debug, Clone)]
pub struct TeamEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub operator: String,
    pub event: String,
    pub subject: Option<String>,
    pub detail: Value,
}

impl TeamEntry {
    /// One readable line; everything from the database is made printable first (names and
    /// terms came from desks, statuses from P100).
    pub fn describe(&self) -> String {
        format!(
            "{} #{} {:<8} {:<16} {} {}",
            self.at.format("%Y-%m-%d %H:%M:%S%.3fZ"),
            self.id,
            printable(&self.operator),
            printable(&self.event),
            printable(self.subject.as_deref().unwrap_or("-")),
            printable(&self.detail.to_string()),
        )
    }
}

/// Drops control characters and bidirectional overrides.
pub fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

/// Appends a row inside the caller's transaction.
pub async fn record(
    tx: &tokio_postgres::Transaction<'_>,
    operator: &str,
    event: &str,
    subject: Option<&str>,
    detail: &Value,
) -> Result<(), RelayError> {
    tx.execute(
        "INSERT INTO team_journal (operator, event, subject, detail) VALUES ($1, $2, $3, $4)",
        &[&operator, &event, &subject, detail],
    )
    .await?;
    Ok(())
}

/// The newest `limit` rows, oldest first.
pub async fn read(pool: &Pool, limit: i64) -> Result<Vec<TeamEntry>, RelayError> {
    let db = store::connection(pool).await?;
    let rows = db
        .query(
            "SELECT id, at, operator, event, subject, detail FROM
                (SELECT * FROM team_journal ORDER BY id DESC LIMIT $1) newest
             ORDER BY id",
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| TeamEntry {
            id: row.get(0),
            at: row.get(1),
            operator: row.get(2),
            event: row.get(3),
            subject: row.get(4),
            detail: row.get(5),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_rows_carry_no_control_text() {
        let entry = TeamEntry {
            id: 7,
            at: DateTime::from_timestamp(0, 0).expect("epoch"),
            operator: "al\u{1b}[2Jice".into(),
            event: "intent".into(),
            subject: Some("k\u{202e}ey".into()),
            detail: serde_json::json!({"amount": "10"}),
        };
        let line = entry.describe();
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{202e}'),
            "{line:?}"
        );
        assert!(line.contains("al[2Jice") && line.contains("key"), "{line}");
    }
}
