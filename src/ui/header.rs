//! The header line: environment badge, profile, read-only mark, connection, in-flight count and
//! the clock with its date and zone; also the terminal title and the profile's shown name.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::RenderOptions;
use super::{cells, format};
use crate::app::{App, Connection, SessionInfo};
use crate::config::{ENV_PROFILE, ResolvedConfig, Target};

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
    // While P100's pause lasts nothing is sent, so it says so, whatever the last answer was.
    left.push(match app.throttled_until.filter(|until| *until > app.now) {
        Some(until) => Span::styled(
            format!(
                "throttled until {}",
                format::clock_seconds(until, options.utc_offset)
            ),
            theme.warning,
        ),
        None => connection(&app.connection, options),
    });
    // On a team relay: whether its events arrive, or rows are polled meanwhile.
    if let Some(push) = app.team.push_label() {
        left.push(Span::styled("  ·  ", theme.muted));
        left.push(Span::styled(
            push,
            if app.team.push_live() {
                theme.ok
            } else {
                theme.warning
            },
        ));
    }
    // Our own budget binding is not P100's doing: said apart, so nobody calls P100 about it.
    if let Some(waits) = app.budget_waiting.describe() {
        left.push(Span::styled("  ·  ", theme.muted));
        left.push(Span::styled(
            format!("throttled by our own budget: {waits}"),
            theme.warning,
        ));
    }

    // The date and the zone too: a desk open past midnight, or shared across zones, must not
    // read "11:30" as someone else's 11:30.
    let clock = Span::raw(format!(
        "{} {} ",
        format::date_clock(app.now, options.utc_offset),
        options.zone_label
    ));
    let mut right = Vec::new();
    let in_flight = app.live.in_flight();
    let left_width: usize = left.iter().map(Span::width).sum();
    let flight_text = format!("{in_flight} in flight");
    // The in-flight count is also in the Live pane's title: it gives way first, so the
    // connection state is never cut.
    let room = usize::from(area.width);
    if in_flight > 0 && left_width + 1 + flight_text.len() + 5 + clock.width() <= room {
        right.push(Span::styled(flight_text, theme.pending));
        right.push(Span::styled("  ·  ", theme.muted));
        if let Some(pace) = app.check_pace.describe(in_flight) {
            right.push(Span::styled(pace, theme.warning));
            right.push(Span::styled("  ·  ", theme.muted));
        }
    }
    right.push(clock);
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

/// The profile as the header shows it. Without a config file (only `P100_*` variables or
/// `--base-url`), the profile is called "env", which says nothing: the server's host does.
pub fn profile_label(config: &ResolvedConfig) -> String {
    match &config.target {
        Target::Remote { base_url, .. } if config.profile == ENV_PROFILE => {
            reqwest::Url::parse(base_url)
                .ok()
                .and_then(|url| url.host_str().map(str::to_string))
                .unwrap_or_else(|| config.profile.clone())
        }
        _ => config.profile.clone(),
    }
}

/// "p100-desk · treasury · PRODUCTION": the terminal title, so a tab says where it points.
pub fn terminal_title(session: &SessionInfo) -> String {
    format!(
        "p100-desk · {} · {}",
        session.profile,
        session.environment.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::EnvBadge;

    #[test]
    fn the_title_names_profile_and_environment() {
        let session = SessionInfo {
            environment: EnvBadge::Production,
            profile: "treasury".into(),
            read_only: false,
            bell: false,
            max_exchange_eur: None,
        };
        assert_eq!(
            terminal_title(&session),
            "p100-desk · treasury · PRODUCTION"
        );
    }
}
