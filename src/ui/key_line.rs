//! The one key line: the keys of the current mode, generated from the binding table. The status
//! bar and every dialog (detail, error, help, message log, ticket, quit question, the too-small
//! notice) draw it through [`for_mode`], so a `[keys]` remap shows up everywhere at once.

use ratatui::text::{Line, Span};

use super::format;
use super::theme::Theme;
use crate::app::App;
use crate::app::keymap::Hint;

/// The key line of the app's current mode, fitted to `width` cells.
pub fn for_mode(app: &App, width: usize, theme: &Theme) -> Line<'static> {
    Line::from(spans(&app.key_hints(), width, theme))
}

/// The hints that fit in `width`, whole. When not all fit, the help key is kept first (it leads
/// to every other key), then the others in order; they are shown in their own order.
pub fn spans(hints: &[Hint], width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let hint_width = |hint: &Hint| format::width(&hint.label) + 1 + format::width(hint.help);
    let is_help = |hint: &&Hint| hint.action == crate::keys::Action::Help;
    let by_priority = hints
        .iter()
        .filter(is_help)
        .chain(hints.iter().filter(|hint| !is_help(hint)));
    let mut used = 1;
    let mut kept: Vec<&Hint> = Vec::new();
    for hint in by_priority {
        let needed = hint_width(hint) + if kept.is_empty() { 0 } else { 2 };
        if used + needed <= width {
            used += needed;
            kept.push(hint);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for hint in hints.iter().filter(|hint| kept.contains(hint)) {
        if spans.len() > 1 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(hint.label.clone(), theme.key));
        spans.push(Span::styled(format!(" {}", hint.help), theme.muted));
    }
    if spans.len() > 1 && used < width {
        // A trailing space, so on a border the line does not touch the corner.
        spans.push(Span::raw(" "));
    }
    spans
}

/// The key line of the current mode flowed over as many lines of `width` cells as it needs, no
/// hint split across two; for dialogs narrower than their keys (a ticket, an ambiguous row).
pub fn lines(app: &App, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for hint in app.key_hints() {
        let needed = 1 + format::width(&hint.label) + 1 + format::width(hint.help);
        if !line.is_empty() && used + 1 + needed > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if !line.is_empty() {
            line.push(Span::raw(" "));
            used += 1;
        }
        line.push(Span::styled(format!(" {}", hint.label), theme.key));
        line.push(Span::styled(format!(" {}", hint.help), theme.muted));
        used += needed;
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

/// The width the whole key line needs (every hint kept).
pub fn natural_width(app: &App) -> usize {
    app.key_hints()
        .iter()
        .map(|hint| format::width(&hint.label) + 1 + format::width(hint.help))
        .enumerate()
        .map(|(index, width)| width + if index == 0 { 0 } else { 2 })
        .sum::<usize>()
        + 2
}
