//! The screen: `render` draws the whole dashboard from `App`, a pure function of state and the
//! render options (theme and UTC offset, fixed at start-up). It reads no clock, no environment.
//!
//! Layout: a header line, the panes, a two-line status bar. Wide terminals (>= 120 columns) put
//! balances over live on the left and history on the right; narrower ones stack the three.
//! Below 80x24 only a notice asking for a bigger terminal is drawn.

pub mod balances;
pub mod detail;
pub mod dialog;
pub mod format;
pub mod header;
pub mod help;
pub mod history;
pub mod live;
pub mod pane;
pub mod qr;
pub mod status_bar;
pub mod theme;
pub mod ticket;

use chrono::{DateTime, FixedOffset, Local, Offset, TimeZone, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Overlay};

pub use self::theme::Theme;

/// The smallest terminal the dashboard is drawn in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this width on, history gets a column of its own.
pub const WIDE_WIDTH: u16 = 120;

/// The wide layout's history width that shows every column; the left column's least width.
const HISTORY_FULL_WIDTH: u16 = 86;
const LEFT_MIN_WIDTH: u16 = 52;

/// How to draw, decided once when the app starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    pub theme: Theme,
    /// Times are shown at this offset from UTC (the local one at start-up; UTC in tests).
    pub utc_offset: FixedOffset,
}

impl RenderOptions {
    pub fn new(theme: Theme, utc_offset: FixedOffset) -> Self {
        Self { theme, utc_offset }
    }

    /// Colour theme, times in UTC: deterministic, for tests and benches.
    pub fn utc(theme: Theme) -> Self {
        Self::new(theme, Utc.fix())
    }

    /// Reads `NO_COLOR` and the local UTC offset: call once at start-up. A DST change during a
    /// session is not followed (the offset is the one at `now`).
    pub fn from_environment(now: DateTime<Utc>) -> Self {
        let theme = Theme::for_no_color(std::env::var_os("NO_COLOR").as_deref());
        let utc_offset = Local.offset_from_utc_datetime(&now.naive_utc());
        Self::new(theme, utc_offset)
    }
}

/// Draws everything: the dashboard, or a "too small" notice, then any overlay on top.
pub fn render(app: &App, frame: &mut Frame, options: &RenderOptions) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, options);
        return;
    }
    dashboard(app, frame, area, options);
    if let Some(open) = &app.ticket {
        ticket::render(frame, area, app, open, &options.theme);
    }
    overlay(app, frame, area, options);
}

fn dashboard(app: &App, frame: &mut Frame, area: Rect, options: &RenderOptions) {
    let [header_area, body, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(status_bar::HEIGHT),
    ])
    .areas(area);
    header::render(frame, header_area, app, options);
    let panes = pane_areas(app, body);
    balances::render(frame, panes.balances, app, options);
    history::render(frame, panes.history, app, options);
    live::render(frame, panes.live, app, options);
    status_bar::render(frame, status_area, app, options);
}

fn overlay(app: &App, frame: &mut Frame, area: Rect, options: &RenderOptions) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help) => help::render(frame, area, options),
        Some(Overlay::BalanceDetail(id)) => detail::balance(frame, area, app, id, options),
        Some(Overlay::TransactionDetail(id)) => detail::transaction(frame, area, app, id, options),
        Some(Overlay::LiveDetail(key)) => detail::live(frame, area, app, key, options),
        Some(Overlay::Error { title, message }) => {
            detail::error(frame, area, title, message, options);
        }
    }
}

/// Where each pane goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneAreas {
    pub balances: Rect,
    pub history: Rect,
    pub live: Rect,
}

/// Splits the body between the panes. Balances and live ask for what their rows need and get
/// at most a share each; history takes the rest, because it is the one that scrolls for ever.
pub fn pane_areas(app: &App, body: Rect) -> PaneAreas {
    let balances_wanted = balances::wanted_height(app);
    let live_wanted = live::wanted_height(app);
    if body.width >= WIDE_WIDTH {
        // History first gets the width its columns need in full (86 with the id and the
        // exchange's other leg); balances and live get the rest, between 52 and 45%.
        let left_width = body
            .width
            .saturating_sub(HISTORY_FULL_WIDTH)
            .max(LEFT_MIN_WIDTH)
            .min(body.width * 9 / 20);
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
        let balances_height = balances_wanted.min(left.height * 3 / 5);
        let [balances, live] =
            Layout::vertical([Constraint::Length(balances_height), Constraint::Fill(1)])
                .areas(left);
        return PaneAreas {
            balances,
            history: right,
            live,
        };
    }
    let height = body.height;
    let history_min = (height / 3).max(6).min(height);
    let rest = height - history_min;
    let live_height = live_wanted.min(rest * 2 / 5);
    let balances_height = balances_wanted.min(rest - live_height);
    let [balances, history, live] = Layout::vertical([
        Constraint::Length(balances_height),
        Constraint::Fill(1),
        Constraint::Length(live_height),
    ])
    .areas(body);
    PaneAreas {
        balances,
        history,
        live,
    }
}

fn too_small(frame: &mut Frame, area: Rect, options: &RenderOptions) {
    let text = format!(
        "Terminal too small: {}x{}. Enlarge to at least {MIN_WIDTH}x{MIN_HEIGHT}.",
        area.width, area.height
    );
    let lines = u16::try_from(text.len())
        .unwrap_or(u16::MAX)
        .div_ceil(area.width.max(1));
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(lines),
        Constraint::Fill(1),
    ])
    .areas(area);
    let notice = Paragraph::new(Line::from(text).style(options.theme.warning))
        .centered()
        .wrap(Wrap { trim: true });
    frame.render_widget(notice, middle);
}

/// A `usize` count as terminal cells, saturating.
pub(crate) fn cells(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A rectangle of at most `width` x `height`, centred in `area`.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
