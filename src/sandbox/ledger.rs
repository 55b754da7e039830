//! The sandbox's books: one account per currency (balance, EUR value, wallet/IBAN) and the
//! transaction history, oldest first.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

/// Whether a fiat account can be used yet (the two documented states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FiatStatus {
    Active,
    WaitingToBeActivated,
}

impl FiatStatus {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::WaitingToBeActivated => "WAITING_TO_BE_ACTIVATED",
        }
    }
}

/// What is particular to a fiat or a crypto account.
#[derive(Debug, Clone)]
pub enum AccountKind {
    Fiat {
        iban: Option<String>,
        status: FiatStatus,
    },
    Crypto {
        wallet: Option<String>,
        /// Passed through verbatim to `networkConfig`; its keys are the usable networks.
        network_config: Value,
    },
}

/// One currency's balance.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    /// Lower-case slug: `eur`, `usdc`.
    pub name: String,
    pub amount: Decimal,
    /// The value of one unit in EUR before any drift (the seeded reference price).
    pub eur_value: Decimal,
    pub kind: AccountKind,
}

impl Account {
    pub fn is_crypto(&self) -> bool {
        matches!(self.kind, AccountKind::Crypto { .. })
    }

    /// The networks a crypto can be sent on (keys of its `networkConfig`), sorted.
    pub fn networks(&self) -> Vec<String> {
        match &self.kind {
            AccountKind::Crypto {
                network_config: Value::Object(map),
                ..
            } => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// `Some(status)` for a fiat account that is not active yet.
    pub fn inactive_status(&self) -> Option<FiatStatus> {
        match self.kind {
            AccountKind::Fiat {
                status: FiatStatus::WaitingToBeActivated,
                ..
            } => Some(FiatStatus::WaitingToBeActivated),
            _ => None,
        }
    }
}

/// Transaction types as the history endpoint writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    Exchange,
    Order,
    SepaTransfer,
    SepaDeposit,
    CryptoWithdrawal,
    CryptoDeposit,
    Transfer,
}

impl TxType {
    pub const ALL: [Self; 7] = [
        Self::Exchange,
        Self::Order,
        Self::SepaTransfer,
        Self::SepaDeposit,
        Self::CryptoWithdrawal,
        Self::CryptoDeposit,
        Self::Transfer,
    ];

    pub fn wire(self) -> &'static str {
        match self {
            Self::Exchange => "EXCHANGE",
            Self::Order => "ORDER",
            Self::SepaTransfer => "SEPA_TRANSFER",
            Self::SepaDeposit => "SEPA_DEPOSIT",
            Self::CryptoWithdrawal => "CRYPTO_WITHDRAWAL",
            Self::CryptoDeposit => "CRYPTO_DEPOSIT",
            Self::Transfer => "TRANSFER",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.wire() == text)
    }
}

/// A history row's status. PENDING is used only for live rows still in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    Pending,
    Successful,
    Failed,
}

impl TxStatus {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Successful => "SUCCESSFUL",
            Self::Failed => "FAILED",
        }
    }

    pub fn from_wire(text: &str) -> Option<Self> {
        [Self::Pending, Self::Successful, Self::Failed]
            .into_iter()
            .find(|status| status.wire() == text)
    }
}

/// One transaction history row.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    /// Sandbox choice: a live row carries the id of its exchange or order, so a client can
    /// match the two.
    pub id: String,
    pub kind: TxType,
    pub status: TxStatus,
    pub amount: Decimal,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub description: Option<String>,
    /// `(currencyTo, amountTo)`, for exchanges only.
    pub counter: Option<(String, Decimal)>,
}

/// The from-balance was short when an exchange was processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub available: Decimal,
    pub required: Decimal,
}

/// Every account and the history.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    accounts: Vec<Account>,
    /// Oldest first; `page` reads it newest first.
    history: Vec<HistoryRow>,
}

impl Ledger {
    /// Builds the books; history rows are sorted oldest first (stable for equal times).
    pub fn new(accounts: Vec<Account>, mut history: Vec<HistoryRow>) -> Self {
        history.sort_by_key(|row| row.created_at);
        Self { accounts, history }
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|account| account.name == name)
    }

    pub fn balance(&self, name: &str) -> Option<Decimal> {
        self.account(name).map(|account| account.amount)
    }

    /// Overwrites a balance; `false` if there is no such account.
    pub fn set_balance(&mut self, name: &str, amount: Decimal) -> bool {
        match self.account_mut(name) {
            Some(account) => {
                account.amount = amount;
                true
            }
            None => false,
        }
    }

    /// Adds to a balance; `false` if there is no such account.
    pub fn credit(&mut self, name: &str, amount: Decimal) -> bool {
        match self.account_mut(name) {
            Some(account) => {
                account.amount += amount;
                true
            }
            None => false,
        }
    }

    /// Moves `amount` of `from` out and `amount_to` of `to` in, all or nothing.
    pub fn exchange(
        &mut self,
        from: &str,
        amount: Decimal,
        to: &str,
        amount_to: Decimal,
    ) -> Result<(), Shortfall> {
        let available = self.balance(from).unwrap_or(Decimal::ZERO);
        if available < amount || self.account(to).is_none() {
            return Err(Shortfall {
                available,
                required: amount,
            });
        }
        self.credit(from, -amount);
        self.credit(to, amount_to);
        Ok(())
    }

    /// Appends a row; live rows are always the newest.
    pub fn push_row(&mut self, row: HistoryRow) {
        let position = self
            .history
            .partition_point(|existing| existing.created_at <= row.created_at);
        self.history.insert(position, row);
    }

    /// Adds many rows at once (kept oldest first), e.g. synthetic history for scale tests.
    pub fn extend_history(&mut self, rows: Vec<HistoryRow>) {
        self.history.extend(rows);
        self.history.sort_by_key(|row| row.created_at);
    }

    /// Sets the status of the row with `id`; `false` if there is none.
    pub fn set_row_status(&mut self, id: &str, status: TxStatus) -> bool {
        match self.history.iter_mut().rev().find(|row| row.id == id) {
            Some(row) => {
                row.status = status;
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    pub fn row(&self, id: &str) -> Option<&HistoryRow> {
        self.history.iter().rev().find(|row| row.id == id)
    }

    /// When the oldest history row happened.
    pub fn oldest_row_at(&self) -> Option<DateTime<Utc>> {
        self.history.first().map(|row| row.created_at)
    }

    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Page `page` (1-based) of `limit` rows, newest first. Past the end: empty.
    pub fn page(&self, page: usize, limit: usize) -> Vec<&HistoryRow> {
        let skip = page.saturating_sub(1).saturating_mul(limit);
        self.history.iter().rev().skip(skip).take(limit).collect()
    }

    fn account_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.accounts
            .iter_mut()
            .find(|account| account.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn account(name: &str, amount: i64) -> Account {
        Account {
            id: format!("id-{name}"),
            name: name.into(),
            amount: Decimal::from(amount),
            eur_value: Decimal::ONE,
            kind: AccountKind::Fiat {
                iban: None,
                status: FiatStatus::Active,
            },
        }
    }

    fn row(id: &str, second: u32) -> HistoryRow {
        HistoryRow {
            id: id.into(),
            kind: TxType::Transfer,
            status: TxStatus::Successful,
            amount: Decimal::ONE,
            currency: "eur".into(),
            created_at: Utc
                .with_ymd_and_hms(2025, 1, 1, 0, 0, second)
                .single()
                .expect("valid time"),
            description: None,
            counter: None,
        }
    }

    #[test]
    fn exchange_moves_both_balances_or_neither() {
        let mut ledger = Ledger::new(vec![account("eur", 100), account("usdc", 0)], vec![]);
        assert_eq!(
            ledger.exchange("eur", Decimal::from(40), "usdc", Decimal::from(46)),
            Ok(())
        );
        assert_eq!(ledger.balance("eur"), Some(Decimal::from(60)));
        assert_eq!(ledger.balance("usdc"), Some(Decimal::from(46)));
        let short = ledger.exchange("eur", Decimal::from(61), "usdc", Decimal::from(70));
        assert_eq!(
            short,
            Err(Shortfall {
                available: Decimal::from(60),
                required: Decimal::from(61)
            })
        );
        assert_eq!(ledger.balance("eur"), Some(Decimal::from(60)));
        assert_eq!(ledger.balance("usdc"), Some(Decimal::from(46)));
    }

    #[test]
    fn pages_are_newest_first_and_empty_past_the_end() {
        let rows = (0..5).map(|i| row(&format!("r{i}"), i)).collect();
        let mut ledger = Ledger::new(vec![], rows);
        ledger.push_row(row("live", 59));
        let ids = |page, limit| -> Vec<String> {
            ledger
                .page(page, limit)
                .iter()
                .map(|r| r.id.clone())
                .collect()
        };
        assert_eq!(ids(1, 2), ["live", "r4"]);
        assert_eq!(ids(2, 2), ["r3", "r2"]);
        assert_eq!(ids(3, 2), ["r1", "r0"]);
        assert!(ids(4, 2).is_empty());
        assert_eq!(ledger.history_len(), 6);
    }

    #[test]
    fn row_status_and_balances_can_be_changed() {
        let mut ledger = Ledger::new(vec![account("eur", 1)], vec![row("a", 0)]);
        assert!(ledger.set_row_status("a", TxStatus::Failed));
        assert_eq!(ledger.row("a").map(|r| r.status), Some(TxStatus::Failed));
        assert!(!ledger.set_row_status("zzz", TxStatus::Failed));
        assert!(ledger.set_balance("eur", Decimal::TEN));
        assert!(!ledger.set_balance("btc", Decimal::TEN));
        assert_eq!(ledger.balance("eur"), Some(Decimal::TEN));
    }

    #[test]
    fn wire_names_round_trip() {
        for kind in TxType::ALL {
            assert_eq!(TxType::from_wire(kind.wire()), Some(kind));
        }
        assert_eq!(TxStatus::from_wire("PENDING"), Some(TxStatus::Pending));
        assert_eq!(TxStatus::from_wire("pending"), None);
    }
}
