//! One bad row is one bad row, on screen (issue 9, item 13): the balances and history panes
//! keep the readable rows of an answer and say how many could not be read.

use chrono::{TimeZone as _, Utc};
use p100_desk::api::models::{Balances, TransactionPage};
use p100_desk::app::msg::Msg;
use p100_desk::app::{App, EnvBadge, SessionInfo};
use p100_desk::ui::theme::Theme;
use p100_desk::ui::{self, RenderOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen_text(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(140, 45)).expect("terminal");
    let options = RenderOptions::utc(Theme::monochrome());
    terminal
        .draw(|frame| ui::render(app, frame, &options))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn panes_say_how_many_rows_could_not_be_read() {
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("time");
    let mut app = App::new(
        SessionInfo {
            environment: EnvBadge::Sandbox,
            profile: "sandbox".into(),
            read_only: false,
            bell: false,
            max_exchange_eur: None,
        },
        now,
    );
    let balances: Balances = serde_json::from_str(
        r#"{"fiatBalances":[{"id":"f-1","amount":"1520.75","name":"eur"},
                            {"id":"f-2","amount":{"x":1},"name":"eur"}],
            "cryptoBalances":[]}"#,
    )
    .expect("balances");
    let page: TransactionPage = serde_json::from_str(
        r#"[{"id":"t-1","type":"EXCHANGE","status":"COMPLETED","amount":"1","currency":"eur"},
            {"id":"t-2","type":"EXCHANGE","status":"COMPLETED","amount":"x","currency":"eur"},
            {"id":"t-3","type":"EXCHANGE","status":"COMPLETED","amount":null,"currency":"eur"}]"#,
    )
    .expect("page");
    app.update(Msg::BalancesLoaded(Ok(balances)), now);
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(page),
        },
        now,
    );
    assert_eq!(app.balances.rows.len(), 1);
    assert_eq!(app.balances.unreadable.len(), 1);
    assert_eq!(app.balances.unreadable[0].json_type, "object");
    assert_eq!(app.history.len(), 1);
    assert_eq!(app.history.unreadable.len(), 2);

    let text = screen_text(&app);
    assert!(text.contains("1 row could not be read"), "{text}");
    assert!(text.contains("2 rows could not be read"), "{text}");
    assert!(text.contains("1,520.75"), "{text}");
}
