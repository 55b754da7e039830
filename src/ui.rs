//! The screen: `render` draws the whole dashboard from `App`, a pure function of state and the
//! render options (theme and UTC offset, fixed at start-up). It reads no clock, no environment.
//!
//! Layout: a header line, the panes, a two-line status bar. Wide terminals (when history still
//! gets every column up to the id) put balances over live on the left and history on the right;
//! narrower ones stack the three. Below 80x24 only a notice asking for a bigger terminal is
//! drawn. Production gets a red frame round everything.

pub mod approvals;
pub mod balances;
pub mod detail;
pub mod dialog;
pub mod format;
pub mod header;
pub mod help;
pub mod history;
pub mod key_line;
pub mod live;
pub mod message_log;
pub mod order_checks;
pub mod pane;
pub mod qr;
pub mod quit_confirm;
pub mod status_bar;
pub mod theme;
pub mod ticket;

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use crate::app::screen::ScreenState;
use crate::app::{App, EnvBadge, Overlay};
use crate::config::{DEFAULT_DATE_FORMAT, DisplaySettings, ThemeName};
use crate::config::{LocalZone, offset_label};

pub use self::theme::Theme;

/// The smallest terminal the dashboard is drawn in (the app's too-small mode uses the same).
pub use crate::app::keyboard::{MIN_HEIGHT, MIN_WIDTH};
/// From this width on, history may get a column of its own (see `pane_areas`).
pub const WIDE_WIDTH: u16 = 120;

/// The history width (borders included) that shows time, type, status, amount, other leg and
/// id; the left column's least width (a live row's text).
const HISTORY_FULL_WIDTH: u16 = 102;
const LEFT_MIN_WIDTH: u16 = 52;

/// How to draw, decided once when the app starts (the app's `ScreenState` can then switch the
/// theme and UTC; see [`RenderOptions::for_screen`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    pub theme: Theme,
    /// Times are shown at this offset from UTC (the configured one; UTC in tests).
    pub utc_offset: FixedOffset,
    /// What the header calls that offset: "UTC", "UTC+01:00".
    pub zone_label: String,
    /// chrono format for rows not from today.
    pub date_format: String,
    /// The currency of indicative values (lower case).
    pub reporting_currency: String,
    /// The theme `theme` was built from, and whether `NO_COLOR` forces monochrome.
    pub theme_name: ThemeName,
    pub no_color: bool,
}

impl RenderOptions {
    pub fn new(theme: Theme, utc_offset: FixedOffset) -> Self {
        Self {
            theme,
            utc_offset,
            zone_label: offset_label(utc_offset),
            date_format: DEFAULT_DATE_FORMAT.into(),
            reporting_currency: "eur".into(),
            theme_name: ThemeName::Dark,
            no_color: false,
        }
    }

    /// Colour theme, times in UTC: deterministic, for tests and benches.
    pub fn utc(theme: Theme) -> Self {
        Self::new(theme, Utc.fix())
    }

    /// Reads `NO_COLOR` and the local UTC offset, with the `[display]` settings: call once at
    /// start-up. A DST change during a session is not followed (the offset is the one at `now`).
    pub fn from_environment(now: DateTime<Utc>, display: &DisplaySettings) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        let zone = display.timezone.shown(LocalZone::detect(now), now);
        Self {
            theme: Theme::named(display.theme, no_color),
            utc_offset: zone.offset,
            zone_label: zone.label,
            date_format: display.date_format.clone(),
            reporting_currency: display.reporting_currency.clone(),
            theme_name: display.theme,
            no_color,
        }
    }

    /// These options with the run-time choices of `screen` applied (`t`, `:theme`); borrowed
    /// when nothing differs, which is every frame of a session that never used them.
    pub fn for_screen(&self, screen: &ScreenState) -> Cow<'_, RenderOptions> {
        let utc = screen.utc && self.utc_offset != Utc.fix();
        if !utc && screen.theme == self.theme_name {
            return Cow::Borrowed(self);
        }
        let mut options = self.clone();
        if utc {
            options.utc_offset = Utc.fix();
            options.zone_label = offset_label(options.utc_offset);
        }
        if screen.theme != self.theme_name {
            options.theme = Theme::named(screen.theme, self.no_color);
            options.theme_name = screen.theme;
        }
        Cow::Owned(options)
    }
}

/// Whether a frame of `area` shows the open ticket: not the "too small" notice, not under an
/// overlay. The runtime tells the app after each frame (`App::frame_drawn`).
pub fn shows_ticket(app: &App, area: Rect) -> bool {
    app.ticket.is_some()
        && app.overlay.is_none()
        && area.width >= MIN_WIDTH
        && area.height >= MIN_HEIGHT
}

/// Draws everything: the dashboard, or a "too small" notice, then any overlay on top.
pub fn render(app: &App, frame: &mut Frame, options: &RenderOptions) {
    let options = &*options.for_screen(&app.screen);
    let mut area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, options);
        // The keys that still work here, from the table, on the last line; the quit question
        // (rows in flight) above them.
        let row = |up: u16| Rect {
            y: area.bottom().saturating_sub(up),
            height: area.height.min(1),
            ..area
        };
        let hints = app.hints_in(crate::keys::Mode::TooSmall);
        let keys = Line::from(key_line::spans(
            &hints,
            usize::from(area.width),
            &options.theme,
        ));
        frame.render_widget(keys, row(1));
        if app.keyboard.quit_asked && area.height > 1 {
            frame.render_widget(
                Line::styled(app.quit_question(), options.theme.error),
                row(2),
            );
        }
        return;
    }
    if app.session.environment == EnvBadge::Production {
        // Real money: a red frame round everything, so no one mistakes it for staging.
        let frame_block = Block::bordered()
            .border_type(BorderType::Thick)
            .border_style(options.theme.production_frame);
        let inner = frame_block.inner(area);
        frame.render_widget(frame_block, area);
        area = inner;
    }
    dashboard(app, frame, area, options);
    if let Some(open) = &app.ticket {
        ticket::render(frame, area, app, open, options);
    }
    overlay(app, frame, area, options);
    if app.keyboard.quit_asked {
        quit_confirm::render(frame, area, app, options);
    }
}

fn dashboard(app: &App, frame: &mut Frame, area: Rect, options: &RenderOptions) {
    let [header_area, body, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(status_bar::HEIGHT),
    ])
    .areas(area);
    header::render(frame, header_area, app, options);
    let panes = pane_areas(app, body, options);
    balances::render(frame, panes.balances, app, options);
    history::render(frame, panes.history, app, options);
    live::render(frame, panes.live, app, options);
    status_bar::render(frame, status_area, app, options);
}

fn overlay(app: &App, frame: &mut Frame, area: Rect, options: &RenderOptions) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help) => help::render(frame, area, app, options),
        Some(Overlay::MessageLog) => message_log::render(frame, area, app, options),
        Some(Overlay::Approvals) => approvals::render(frame, area, app, options),
        Some(Overlay::BalanceDetail(id)) => detail::balance(frame, area, app, id, options),
        Some(Overlay::TransactionDetail(id)) => detail::transaction(frame, area, app, id, options),
        Some(Overlay::LiveDetail(key)) => detail::live(frame, area, app, key, options),
        Some(Overlay::Error { title, message }) => {
            detail::error(frame, area, app, title, message, options);
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
///
/// Side by side only when history still gets the width for its id column next to balances at
/// their natural width (a wider terminal must never show less than a narrower one); otherwise
/// the three are stacked, each the full width.
pub fn pane_areas(app: &App, body: Rect, options: &RenderOptions) -> PaneAreas {
    let live_wanted = live::wanted_height(app);
    let left_width = balances::wanted_width(app, options)
        .max(LEFT_MIN_WIDTH)
        .min(body.width * 2 / 5);
    if body.width >= WIDE_WIDTH && body.width - left_width >= HISTORY_FULL_WIDTH {
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(body);
        let balances_wanted = balances::wanted_height(app, left.width, options);
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
    let balances_wanted = balances::wanted_height(app, body.width, options);
    let height = body.height;
    // History keeps at least 3/8 of the body (5 rows at 80x24 with a live row open).
    let history_min = (height * 3 / 8).max(8).min(height);
    let rest = height - history_min;
    let live_height = if live_wanted <= 1 {
        live_wanted.min(rest)
    } else {
        // Whole rows only (three lines each, inside the borders), at least one.
        let share = (rest * 2 / 5).max(2 + live::ROW_LINES);
        let rows = share.saturating_sub(2) / live::ROW_LINES;
        live_wanted.min(rows * live::ROW_LINES + 2).min(rest)
    };
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

/// A list overlay as large as the screen allows: one row below the header, above the status
/// bar (its notice line stays in sight), two columns in from each side.
pub(crate) fn full_overlay(area: Rect) -> Rect {
    let width = area.width.saturating_sub(4).max(10);
    let height = area.height.saturating_sub(1 + status_bar::HEIGHT).max(3);
    let dialog = centered(area, width, height);
    Rect {
        y: area.y.saturating_add(1).min(dialog.y),
        ..dialog
    }
}

#[cfg(test)]
mod tests {
    //! Every widget and overlay drawn straight into every small rectangle: `render` shows only
    //! the "too small" notice below 80x24, so this is what proves the widgets themselves never
    //! panic on a cramped area.
    use super::*;
    use crate::api::models::{Currency, Transaction, TransactionPage, TransactionStatus};
    use crate::app::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase};
    use crate::app::msg::Msg;
    use crate::app::{EnvBadge, SessionInfo};
    use ratatui::backend::TestBackend;
    use ratatui::{Terminal, layout::Rect};
    use rust_decimal::Decimal;

    fn app() -> App {
        let now = Utc::now();
        let session = SessionInfo {
            environment: EnvBadge::Production,
            profile: "a-rather-long-profile-name".into(),
            read_only: true,
            bell: false,
            max_exchange_eur: None,
        };
        let mut app = App::new(session, now);
        app.init();
        let balances = serde_json::from_str(
            r#"{"fiatBalances": [{"id": "f1", "amount": "1520.75", "name": "eur", "rate": 1,
                 "iban": "LT683130019950000568", "status": "ACTIVE"}],
                "cryptoBalances": [{"id": "c1", "amount": "12.5", "name": "usdc",
                 "wallet": "0x2e90", "rate": 0.96, "networkConfig": {"polygon": {
                 "mainnet": false, "name": "amoy", "withdrawal": {"feeWithdrawal": 10},
                 "deposit": {"minDeposit": 5}}}}]}"#,
        )
        .expect("balances");
        app.update(Msg::BalancesLoaded(Ok(balances)), now);
        let transactions = (0..60)
            .map(|n| Transaction {
                id: format!("tx-{n:04}-0000-0000"),
                kind: crate::api::models::TransactionType::Exchange,
                status: TransactionStatus::Failed,
                amount: Decimal::new(12_345, 2),
                currency: Currency::new("eth"),
                created_at: Some(now),
                description: Some("a description long enough to wrap".into()),
                currency_to: Some(Currency::new("eur")),
                amount_to: Some(Decimal::new(9_876_543, 2)),
            })
            .collect();
        let page = TransactionPage {
            transactions,
            page: None,
            limit: None,
            total: Some(100_000),
            unreadable: Vec::new(),
        };
        app.update(
            Msg::HistoryLoaded {
                page: 1,
                result: Ok(page),
            },
            now,
        );
        let order = OrderLeg {
            currency: Currency::new("usdc"),
            network: "polygon".into(),
            fiat_amount: Decimal::new(34_659, 2),
            fiat_currency: Currency::new("eur"),
            crypto_amount: Decimal::new(412_607_142, 6),
            wallet_address: Some("0xE3534d1b2c8f0a9e7d6c5b4a3928170f6e5d4c3b".into()),
            confirmations: Some((1, 3)),
            received: Some(Decimal::ONE),
            required: Some(Decimal::TEN),
            transaction_hash: Some("0x84a1".into()),
            payment_expires_at: Some(now),
        };
        for (key, kind, phase) in [
            (
                "o",
                LiveKind::Order(order),
                Phase::Unknown {
                    reason: "timed out".into(),
                },
            ),
            (
                "x",
                LiveKind::Exchange(ExchangeLeg {
                    from: Currency::new("eth"),
                    to: Currency::new("eur"),
                    amount: Decimal::TEN,
                    amount_to: Decimal::new(2_500_120, 2),
                    rate: Decimal::new(250_012, 2),
                }),
                Phase::Failed {
                    reason: "P433: insufficient funds".into(),
                },
            ),
        ] {
            app.live.push(LiveRow {
                key: key.into(),
                remote_id: None,
                lock_id: "lock".into(),
                kind,
                phase,
                created_at: now,
                updated_at: now,
                check_failed: None,
            });
        }
        app
    }

    #[test]
    fn widgets_never_panic_in_small_areas() {
        let mut app = app();
        let options = RenderOptions::utc(Theme::color());
        let mut terminal = Terminal::new(TestBackend::new(32, 12)).expect("terminal");
        let long_message = "word ".repeat(80);
        for editing in [false, true] {
            app.history.filter_editing = editing;
            terminal
                .draw(|frame| {
                    for width in 0..=30 {
                        for height in 0..=10 {
                            let area = Rect::new(1, 1, width, height);
                            header::render(frame, area, &app, &options);
                            balances::render(frame, area, &app, &options);
                            history::render(frame, area, &app, &options);
                            live::render(frame, area, &app, &options);
                            status_bar::render(frame, area, &app, &options);
                            help::render(frame, area, &app, &options);
                            message_log::render(frame, area, &app, &options);
                            quit_confirm::render(frame, area, &app, &options);
                            detail::balance(frame, area, &app, "c1", &options);
                            detail::balance(frame, area, &app, "f1", &options);
                            detail::balance(frame, area, &app, "gone", &options);
                            let id = app
                                .history
                                .row(0)
                                .map(|r| r.id().to_string())
                                .expect("a row");
                            detail::transaction(frame, area, &app, &id, &options);
                            detail::live(frame, area, &app, "o", &options);
                            detail::live(frame, area, &app, "x", &options);
                            detail::error(frame, area, &app, "Failed", &long_message, &options);
                            too_small(frame, area, &options);
                            dashboard(&app, frame, area, &options);
                        }
                    }
                })
                .expect("draw");
        }
    }
}
