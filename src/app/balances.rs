//! The balances pane's model: one row per fiat or crypto balance, and the indicative EUR total.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::freshness::Freshness;
use super::selection::Selection;
use crate::api::models::{Balances, Currency, FiatStatus, NetworkConfig, UnreadableRow};
use crate::money;

#[derive(Debug, Clone, PartialEq)]
pub enum BalanceKind {
    Fiat {
        iban: Option<String>,
        status: FiatStatus,
    },
    Crypto {
        wallet: Option<String>,
        networks: Vec<(String, NetworkConfig)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct BalanceRow {
    pub id: String,
    pub currency: Currency,
    /// Exactly as the API sent it.
    pub amount: Decimal,
    /// EUR per unit, as sent.
    pub rate: Option<Decimal>,
    pub kind: BalanceKind,
}

impl BalanceRow {
    /// amount x rate; `None` when the API sent no rate.
    pub fn eur_value(&self) -> Option<Decimal> {
        money::eur_value(self.amount, self.rate?)
    }

    /// A few words for the status column: fiat activation, or the crypto networks.
    pub fn status_text(&self) -> String {
        match &self.kind {
            BalanceKind::Fiat { status, .. } => match status {
                FiatStatus::Active => "ACTIVE".into(),
                FiatStatus::WaitingToBeActivated => "WAITING ACTIVATION".into(),
                FiatStatus::Other(raw) => raw.clone(),
            },
            BalanceKind::Crypto { networks, .. } => {
                let names: Vec<&str> = networks.iter().map(|(name, _)| name.as_str()).collect();
                names.join(", ")
            }
        }
    }

    /// The networks this balance can receive on (for the order ticket).
    pub fn networks(&self) -> Vec<String> {
        match &self.kind {
            BalanceKind::Crypto { networks, .. } => {
                networks.iter().map(|(name, _)| name.clone()).collect()
            }
            BalanceKind::Fiat { .. } => Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct BalancesPane {
    pub rows: Vec<BalanceRow>,
    /// When the rates in `rows` were received (the total is indicative as of then).
    pub rates_at: Option<DateTime<Utc>>,
    pub selection: Selection,
    pub freshness: Freshness,
    /// Balances of the last answer that could not be read (the pane says how many).
    pub unreadable: Vec<UnreadableRow>,
}

impl BalancesPane {
    /// Replaces the rows with a fresh answer, keeping the selection on the same balance.
    pub fn load(&mut self, balances: Balances, now: DateTime<Utc>) {
        self.unreadable = balances.unreadable;
        let fiat = balances.fiat_balances.into_iter().map(|b| BalanceRow {
            id: b.id,
            currency: b.name,
            amount: b.amount,
            rate: b.rate,
            kind: BalanceKind::Fiat {
                iban: b.iban,
                status: b.status,
            },
        });
        let crypto = balances.crypto_balances.into_iter().map(|b| BalanceRow {
            id: b.id,
            currency: b.name,
            amount: b.amount,
            rate: b.rate,
            kind: BalanceKind::Crypto {
                wallet: b.wallet,
                networks: b.network_config.into_iter().collect(),
            },
        });
        self.rows = fiat.chain(crypto).collect();
        self.rates_at = Some(now);
        self.freshness.succeeded(now);
        let ids: Vec<&str> = self.rows.iter().map(|row| row.id.as_str()).collect();
        self.selection.follow(&ids);
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.selection
            .locate(self.rows.len(), |index| self.rows[index].id.as_str())
    }

    pub fn selected(&self) -> Option<&BalanceRow> {
        self.selected_index().map(|index| &self.rows[index])
    }

    /// The balance of a currency, if we hold one.
    pub fn find(&self, currency: &Currency) -> Option<&BalanceRow> {
        self.rows.iter().find(|row| &row.currency == currency)
    }

    /// The indicative EUR total, and how many balances had no rate (left out of it).
    pub fn total_eur(&self) -> (Decimal, usize) {
        let mut total = Decimal::ZERO;
        let mut unpriced = 0;
        for row in &self.rows {
            match row.eur_value().and_then(|value| total.checked_add(value)) {
                Some(sum) => total = sum,
                None => unpriced += 1,
            }
        }
        (total, unpriced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::{CryptoBalance, FiatBalance};
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("decimal")
    }

    fn balances(eur: &str, usdc_rate: Option<&str>) -> Balances {
        Balances {
            fiat_balances: vec![FiatBalance {
                id: "f1".into(),
                amount: dec(eur),
                name: Currency::new("eur"),
                rate: Some(Decimal::ONE),
                iban: Some("LT68".into()),
                status: FiatStatus::Active,
            }],
            crypto_balances: vec![CryptoBalance {
                id: "c1".into(),
                amount: dec("10"),
                name: Currency::new("usdc"),
                wallet: None,
                rate: usdc_rate.map(dec),
                network_config: std::collections::BTreeMap::new(),
            }],
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn total_is_the_sum_of_priced_rows() {
        let mut pane = BalancesPane::default();
        pane.load(balances("100.50", Some("0.9")), Utc::now());
        assert_eq!(pane.total_eur(), (dec("109.500"), 0));
        pane.load(balances("100.50", None), Utc::now());
        assert_eq!(pane.total_eur(), (dec("100.50"), 1));
    }

    #[test]
    fn reload_keeps_the_selected_balance() {
        let mut pane = BalancesPane::default();
        pane.load(balances("1", None), Utc::now());
        pane.selection.last(&["f1", "c1"]);
        pane.load(balances("2", None), Utc::now());
        assert_eq!(pane.selected().map(|row| row.id.as_str()), Some("c1"));
    }
}
