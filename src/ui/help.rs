//! The help overlay, generated from `keymap::BINDINGS` so it can never disagree with the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::theme::Theme;
use super::{RenderOptions, cells, centered, format};
use crate::app::keymap::{BINDINGS, Pane, Scope};

/// A titled group of bindings: "Global", or one pane's own keys.
pub struct Group {
    pub title: &'static str,
    pub entries: Vec<(&'static str, &'static str)>,
}

/// The bindings grouped by scope, in table order; panes without keys of their own are left out.
pub fn groups() -> Vec<Group> {
    let scopes = std::iter::once(Scope::Global).chain(Pane::ALL.into_iter().map(Scope::Pane));
    scopes
        .map(|scope| Group {
            title: match scope {
                Scope::Global => "Global",
                Scope::Pane(pane) => pane.title(),
            },
            entries: BINDINGS
                .iter()
                .filter(|binding| binding.scope == scope)
                .map(|binding| (binding.label, binding.help))
                .collect(),
        })
        .filter(|group| !group.entries.is_empty())
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, options: &RenderOptions) {
    let theme = &options.theme;
    let groups = groups();
    let label_width = BINDINGS
        .iter()
        .map(|b| format::width(b.label))
        .max()
        .unwrap_or(0);
    let column_width = groups
        .iter()
        .flat_map(|g| g.entries.iter())
        .map(|(_, help)| label_width + 5 + format::width(help))
        .max()
        .unwrap_or(0)
        .max(20);

    // Global keys on the left, each pane's own keys on the right, when two columns fit.
    let (left, right): (Vec<&Group>, Vec<&Group>) =
        groups.iter().partition(|g| g.title == "Global");
    let left_lines = lines(&left, label_width, theme);
    let right_lines = lines(&right, label_width, theme);
    let two_columns = usize::from(area.width) >= 2 * column_width + 5;
    let (width, height) = if two_columns {
        (
            2 * column_width + 5,
            left_lines.len().max(right_lines.len()) + 2,
        )
    } else {
        (column_width + 2, left_lines.len() + right_lines.len() + 2)
    };
    let dialog = centered(area, cells(width), cells(height));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.overlay_border)
        .title(Line::styled(" Keys ", theme.title_focused))
        .title_bottom(Line::styled(" Esc or ? to close ", theme.muted).right_aligned());
    let inner = block.inner(dialog);
    frame.render_widget(Clear, dialog);
    frame.render_widget(block, dialog);
    if two_columns {
        let [left_area, right_area] = Layout::horizontal([
            Constraint::Length(cells(column_width + 1)),
            Constraint::Fill(1),
        ])
        .spacing(1)
        .areas(inner);
        frame.render_widget(Paragraph::new(left_lines), left_area);
        frame.render_widget(Paragraph::new(right_lines), right_area);
    } else {
        let mut all = left_lines;
        all.extend(right_lines);
        frame.render_widget(Paragraph::new(all), inner);
    }
}

fn lines(groups: &[&Group], label_width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        if index > 0 {
            out.push(Line::default());
        }
        out.push(Line::styled(
            format!(" {}", group.title),
            theme.title_focused,
        ));
        for (label, help) in &group.entries {
            out.push(Line::from(vec![
                Span::styled(format!("   {label:>label_width$}"), theme.key),
                Span::raw(format!("  {help}")),
            ]));
        }
    }
    out
}
