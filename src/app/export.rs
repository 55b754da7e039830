//! `e` in the dashboard: the current view to a CSV file in the data dir (the history as shown,
//! filter applied; the balances; or, from the Live pane, the journal), with an "as of" line.
//! The file is written by the runtime (`Cmd::Export`); the app only says what and where.

use std::path::PathBuf;

use super::cmd::Cmd;
use super::keymap::Pane;
use super::{App, Level};
use crate::cli::export::{self, ExportSource};

/// Where exports go and which journal the Live pane's export reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPaths {
    pub dir: PathBuf,
    pub journal: PathBuf,
}

impl App {
    /// Exports the focused view; says where when the runtime reports it written.
    pub fn export_view(&mut self) -> Vec<Cmd> {
        let Some(paths) = self.export_paths.clone() else {
            self.note(Level::Warning, "Export is not available: no data dir");
            return Vec::new();
        };
        let (what, source) = match self.focus {
            Pane::History => {
                let owned: Vec<_> = (0..self.history.visible_len())
                    .filter_map(|n| self.history.visible_row(n))
                    .map(|row| row.to_transaction())
                    .collect();
                let rows: Vec<&crate::api::models::Transaction> = owned.iter().collect();
                let what = if self.history.filter.is_empty() {
                    "history".to_owned()
                } else {
                    format!("history filtered by \"{}\"", self.history.filter)
                };
                (what, export::history_csv(&rows))
            }
            Pane::Balances => (
                "balances".to_owned(),
                export::balances_csv(&self.balances.rows),
            ),
            Pane::Live => (
                "journal".to_owned(),
                ExportSource::Journal(paths.journal.clone()),
            ),
        };
        let kind = match self.focus {
            Pane::History => "history",
            Pane::Balances => "balances",
            Pane::Live => "journal",
        };
        let file = format!("{kind}-{}.csv", self.now.format("%Y%m%dT%H%M%S%3fZ"));
        self.note(Level::Info, format!("Exporting the {what}…"));
        vec![Cmd::Export {
            path: paths.dir.join(file),
            what,
            source,
            as_of: self.now,
        }]
    }

    pub(super) fn on_exported(&mut self, result: Result<(PathBuf, usize), String>) {
        match result {
            Ok((path, rows)) => self.note(
                Level::Info,
                format!("Exported {rows} row(s) to {}", path.display()),
            ),
            Err(error) => self.note(Level::Error, format!("Export failed: {error}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::TransactionPage;
    use crate::app::{EnvBadge, SessionInfo};

    fn app(dir: &std::path::Path) -> App {
        let session = SessionInfo {
            environment: EnvBadge::Sandbox,
            profile: "desk".into(),
            read_only: false,
            bell: false,
            max_exchange_eur: None,
        };
        let mut app = App::new(session, chrono::Utc::now());
        app.export_paths = Some(ExportPaths {
            dir: dir.join("exports"),
            journal: dir.join("journal.jsonl"),
        });
        app
    }

    fn written(cmds: Vec<Cmd>) -> (PathBuf, String) {
        let Some(Cmd::Export {
            path,
            what,
            source,
            as_of,
        }) = cmds.into_iter().next()
        else {
            panic!("an export command");
        };
        export::write(&path, &source, &what, as_of).expect("written");
        let text = std::fs::read_to_string(&path).expect("read back");
        (path, text)
    }

    #[test]
    fn the_history_is_exported_as_shown_with_an_as_of_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app(dir.path());
        let page: TransactionPage = serde_json::from_str(
            r#"{"transactions":[
              {"id":"a1","type":"EXCHANGE","status":"SUCCESSFUL","amount":"10.5","currency":"eur",
               "createdAt":"2026-02-13T11:30:00Z","currencyTo":"eth","amountTo":"0.004"},
              {"id":"b2","type":"SEPA_DEPOSIT","status":"SUCCESSFUL","amount":"5.00","currency":"eur",
               "createdAt":"2026-02-13T11:00:00Z","description":"=HYPERLINK(\"x\")"}]}"#,
        )
        .expect("page");
        app.history.merge(1, page, app.now);
        app.focus = Pane::History;
        let (path, text) = written(app.export_view());
        assert!(path.starts_with(dir.path().join("exports")));
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .is_some_and(|l| l.starts_with("# history as of "))
        );
        assert!(
            lines
                .next()
                .is_some_and(|l| l.starts_with("created_at,type,status,amount,"))
        );
        assert!(
            text.contains("EXCHANGE,SUCCESSFUL,10.5,eur,0.004,eth,a1"),
            "{text}"
        );
        assert!(
            !text.contains(",=HYPERLINK"),
            "formulas are defused: {text}"
        );
        app.on_exported(Ok((path.clone(), 1)));
        assert!(
            app.notice
                .as_ref()
                .is_some_and(|n| n.text.contains(&path.display().to_string()))
        );
    }

    #[test]
    fn the_live_pane_exports_the_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app(dir.path());
        let mut journal =
            crate::journal::Journal::open(&dir.path().join("journal.jsonl")).expect("journal");
        journal
            .append(&crate::journal::Entry {
                at: app.now,
                profile: "desk".into(),
                environment: "sandbox".into(),
                intent: "ex-1".into(),
                event: crate::journal::Event::Accepted {
                    remote_id: "x1".into(),
                    attempt: None,
                },
            })
            .expect("append");
        app.focus = Pane::Live;
        let (_, text) = written(app.export_view());
        assert!(text.starts_with("# journal as of "), "{text}");
        assert!(text.contains("ex-1,accepted"), "{text}");
    }
}
