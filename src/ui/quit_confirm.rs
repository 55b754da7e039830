//! The quit question, drawn while quitting waits for a second press (rows are in flight).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::{RenderOptions, cells, format};
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let question = app.quit_question();
    let keys = super::key_line::for_mode(app, usize::from(area.width), theme);
    let width = cells(format::width(&question).max(keys.width()) + 4).min(area.width);
    let dialog = super::centered(area, width, 5);
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.error_border)
        .title(Line::styled(" Quit? ", theme.title_focused));
    frame.render_widget(Clear, dialog);
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(question, theme.warning),
            Line::default(),
            keys,
        ])
        .block(block)
        .wrap(Wrap { trim: true }),
        dialog,
    );
}
