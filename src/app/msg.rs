//! Messages into `App::update`: input, timers, and the answers of background tasks.

use crossterm::event::KeyEvent;

use crate::api::error::ApiError;
use crate::api::models::{Balances, ExchangeDetails, OrderDetails, TransactionPage};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted in one go (bracketed paste), for amounts and filters.
    Paste(String),
    /// The terminal changed size: redraw.
    Resize,
    /// The animation/clock tick: only time moved.
    Tick,
    /// The slow refresh timer fired.
    RefreshDue,
    BalancesLoaded(Result<Balances, ApiError>),
    HistoryLoaded {
        page: u32,
        result: Result<TransactionPage, ApiError>,
    },
    /// The poller read an exchange's details.
    ExchangePolled {
        id: String,
        result: Result<ExchangeDetails, ApiError>,
    },
    /// The poller read an order's details.
    OrderPolled {
        id: String,
        result: Result<OrderDetails, ApiError>,
    },
}
