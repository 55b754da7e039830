//! What the user changes about the screen while the desk runs: local time or UTC (`t`), the
//! theme (`:theme`, typed on the `:` command line), and the last dismissed live row, so `u` can
//! bring it back.

use super::live::LiveRow;
use super::{App, Level, short_id};
use crate::config::ThemeName;

/// The screen choices made at run time. Nothing here is journaled: dismissing a final row
/// only hides it (its outcome is in the journal already).
#[derive(Debug, Clone, Default)]
pub struct ScreenState {
    /// Times in UTC instead of the configured zone.
    pub utc: bool,
    /// The theme in use: the configured one until `:theme` changes it.
    pub theme: ThemeName,
    /// The last row `d` dismissed and where it stood, for `u`.
    last_dismissed: Option<(usize, LiveRow)>,
    /// When each live row's status last changed ("12s ago" counts from there).
    pub status: super::freshness::StatusClock,
}

impl App {
    /// `t`: local time / UTC, everywhere on screen at once.
    pub fn toggle_utc(&mut self) {
        self.screen.utc = !self.screen.utc;
        let zone = if self.screen.utc {
            "UTC"
        } else {
            "the configured time zone"
        };
        self.note(
            Level::Info,
            format!("Times now shown in {zone} (t toggles)"),
        );
    }

    /// `:theme NAME`, or `:theme` alone for the next one.
    pub fn set_theme(&mut self, name: Option<ThemeName>) {
        self.screen.theme = name.unwrap_or_else(|| self.screen.theme.next());
        self.note(
            Level::Info,
            format!(
                "Theme: {} (NO_COLOR, when set, still wins)",
                self.screen.theme.as_str()
            ),
        );
    }

    /// `d`: hides the selected row if it is final, and says which one.
    pub fn dismiss_selected_row(&mut self) {
        let Some(index) = self.live.selected_index() else {
            return;
        };
        let row = self.live.rows[index].clone();
        if !self.live.dismiss_selected() {
            self.note(
                Level::Warning,
                "Only a final row can be dismissed; this one is still in flight",
            );
            return;
        }
        self.note(
            Level::Info,
            format!("Dismissed {} (u brings it back)", describe(&row)),
        );
        self.screen.last_dismissed = Some((index, row));
    }

    /// `u`: puts the last dismissed row back where it was.
    pub fn undo_dismiss(&mut self) {
        let Some((index, row)) = self.screen.last_dismissed.take() else {
            self.note(Level::Warning, "Nothing dismissed to bring back");
            return;
        };
        let text = format!("Back: {}", describe(&row));
        let key = row.key.clone();
        let index = index.min(self.live.rows.len());
        self.live.rows.insert(index, row);
        self.live.selection.select(&key, index);
        self.note(Level::Info, text);
    }
}

/// "exchange 3f0aeaa7 (COMPLETED)".
fn describe(row: &LiveRow) -> String {
    let id = row.remote_id.as_deref().unwrap_or(row.key.as_str());
    format!(
        "{} {} ({})",
        row.kind_label().to_ascii_lowercase(),
        short_id(id),
        row.phase.label()
    )
}
