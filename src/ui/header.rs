//! The header line: environment badge, profile, read-only mark, connection, in-flight count and
//! the local clock.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::RenderOptions;
use super::{cells, format};
use crate::app::{App, Connection};

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let session = &app.session;
    let mut left = vec![
        Span::styled(
            format!(" {} ", session.environment.label()),
            theme.badge(session.environment),
        ),
        Span::raw(" "),
        Span::styled(session.profile.clone(), theme.title_focused),
    ];
    if session.read_only {
        left.push(Span::raw(" "));
        left.push(Span::styled(" READ-ONLY ", theme.read_only));
    }
    left.push(Span::styled("  ·  ", theme.muted));
    left.push(connection(&app.connection, options));

    let mut right = Vec::new();
    let in_flight = app.live.in_flight();
    if in_flight > 0 {
        right.push(Span::styled(
            format!("{in_flight} in flight"),
            theme.pending,
        ));
        right.push(Span::styled("  ·  ", theme.muted));
        if let Some(pace) = app.check_pace.describe(in_flight) {
            right.push(Span::styled(pace, theme.warning));
            right.push(Span::styled("  ·  ", theme.muted));
        }
    }
    right.push(Span::raw(format::clock(app.now, options.utc_offset)));
    right.push(Span::raw(" "));
    let right = Line::from(right).right_aligned();

    let [left_area, right_area] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(cells(right.width())),
    ])
    .spacing(1)
    .areas(area);
    let left = format::fit_spans(left, usize::from(left_area.width));
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

/// The connection state in words (its colour only repeats them).
fn connection(connection: &Connection, options: &RenderOptions) -> Span<'static> {
    let theme = &options.theme;
    match connection {
        Connection::Connecting => Span::styled("connecting…", theme.pending),
        Connection::Online => Span::styled("online", theme.ok),
        Connection::Throttled => Span::styled("throttled: slowing down", theme.warning),
        // The reason is a few words from the failed request ("offline", "timed out", "server
        // error"); "offline: offline" would say nothing twice.
        Connection::Offline(reason) if reason == "offline" => {
            Span::styled("! offline", theme.error)
        }
        Connection::Offline(reason) => Span::styled(format!("! P100: {reason}"), theme.error),
    }
}
