//! The help overlay: the keys of the mode it was opened from (ticket keys included), and the
//! command line's commands, generated from the binding and command tables.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::theme::Theme;
use super::{RenderOptions, cells, centered, format};
use crate::app::App;
use crate::keys::Mode;

/// A titled group of entries (keys or commands, and what they do).
pub struct Group {
    pub title: String,
    pub entries: Vec<(String, String)>,
}

/// The groups help shows for `mode`: that mode's keys, then (from the dashboard) the commands.
pub fn groups(app: &App, mode: Mode) -> Vec<Group> {
    let mut groups = vec![Group {
        title: format!("Keys: {}", mode.title()),
        entries: app
            .offered(mode)
            .into_iter()
            .map(|hint| (hint.label, hint.help.to_string()))
            .collect(),
    }];
    if matches!(mode, Mode::Dashboard(_)) {
        groups.push(Group {
            title: "Commands (after :)".into(),
            entries: app
                .offered_commands()
                .map(|command| (command.usage.to_string(), command.help.to_string()))
                .collect(),
        });
    }
    groups
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let groups = groups(app, app.keyboard.help_from);
    // The mode's keys on the left, the commands on the right, when two columns fit; each
    // column as wide as its own entries.
    let (left, right) = groups.split_at(1);
    let (left_lines, left_width) = column(left, theme);
    let (right_lines, right_width) = column(right, theme);
    let two_columns = !right.is_empty() && usize::from(area.width) >= left_width + right_width + 5;
    // Neither side by side nor one under the other fits (80x24 with every key): the mode's
    // keys flow into two equal columns, and the commands follow under them as far as they fit,
    // so no key binding falls off the bottom.
    let stacked = left_lines.len() + right_lines.len();
    let key_rows = left_lines.len().div_ceil(2);
    let flowed = !two_columns
        && stacked + 2 > usize::from(area.height)
        && usize::from(area.width) >= 2 * left_width + 5;
    // Too few rows left under the flowed keys for a command a line (80x24): every command
    // still shows, by its usage alone, wrapped (what each does is in a taller help and in
    // README).
    let flowed_width = (2 * left_width + 5).max(right_width + 2);
    let right_lines = if flowed && key_rows + right_lines.len() + 3 > usize::from(area.height) {
        usages_wrapped(right, flowed_width.saturating_sub(2), theme)
    } else {
        right_lines
    };
    let (width, height) = if flowed {
        (flowed_width, key_rows + right_lines.len() + 3)
    } else if two_columns {
        (
            left_width + right_width + 5,
            left_lines.len().max(right_lines.len()) + 2,
        )
    } else {
        (
            left_width.max(right_width) + 2,
            left_lines.len() + right_lines.len() + 2,
        )
    };
    let width = width.max(super::key_line::natural_width(app) + 2);
    let dialog = centered(area, cells(width), cells(height));
    let keys = super::key_line::for_mode(app, usize::from(dialog.width.saturating_sub(2)), theme);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.overlay_border)
        .title(Line::styled(" Keys ", theme.title_focused))
        .title_bottom(keys.right_aligned());
    let inner = block.inner(dialog);
    frame.render_widget(Clear, dialog);
    frame.render_widget(block, dialog);
    if two_columns {
        let [left_area, right_area] = Layout::horizontal([
            Constraint::Length(cells(left_width + 1)),
            Constraint::Fill(1),
        ])
        .spacing(1)
        .areas(inner);
        frame.render_widget(Paragraph::new(left_lines), left_area);
        frame.render_widget(Paragraph::new(right_lines), right_area);
    } else if flowed {
        let mut keys_first = left_lines;
        let keys_second = keys_first.split_off(key_rows);
        let [keys_area, commands_area] =
            Layout::vertical([Constraint::Length(cells(key_rows + 1)), Constraint::Fill(1)])
                .areas(inner);
        let [first_area, second_area] = Layout::horizontal([
            Constraint::Length(cells(left_width + 1)),
            Constraint::Fill(1),
        ])
        .spacing(1)
        .areas(keys_area);
        frame.render_widget(Paragraph::new(keys_first), first_area);
        frame.render_widget(Paragraph::new(keys_second), second_area);
        frame.render_widget(Paragraph::new(right_lines), commands_area);
    } else {
        let mut all = left_lines;
        all.extend(right_lines);
        frame.render_widget(Paragraph::new(all), inner);
    }
}

/// The lines of a column and its width.
fn column(groups: &[Group], theme: &Theme) -> (Vec<Line<'static>>, usize) {
    let entries = || groups.iter().flat_map(|g| g.entries.iter());
    let label_width = entries()
        .map(|(label, _)| format::width(label))
        .max()
        .unwrap_or(0);
    let width = entries()
        .map(|(_, help)| label_width + 5 + format::width(help))
        .chain(groups.iter().map(|g| format::width(&g.title) + 2))
        .max()
        .unwrap_or(0);
    (lines(groups, label_width, theme), width)
}

fn lines(groups: &[Group], label_width: usize, theme: &Theme) -> Vec<Line<'static>> {
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

/// The groups' entries by label alone, as many to a line as fit in `width`, under each title.
fn usages_wrapped(groups: &[Group], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for group in groups {
        out.push(Line::styled(
            format!(" {}", group.title),
            theme.title_focused,
        ));
        let mut line: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for (label, _) in &group.entries {
            let cost = format::width(label) + 2;
            if used > 0 && used + cost > width {
                out.push(Line::from(std::mem::take(&mut line)));
                used = 0;
            }
            line.push(Span::styled(format!("  {label}"), theme.key));
            used += cost;
        }
        if !line.is_empty() {
            out.push(Line::from(line));
        }
    }
    out
}
