//! One exchange or order as `status` and `watch` print it, and how to ask for it when the kind
//! is not given (exchange first, then order, on a 404).

use serde::Serialize;

use super::args::{Kind, iso};
use super::exit::CliError;
use super::output::{Align, Column, Record, col};
use super::text::printable;
use crate::api::ApiClient;
use crate::api::error::ApiError;
use crate::api::models::{ExchangeDetails, ExchangeStatus, OrderDetails, OrderStatus};
use crate::app::live::failure_reason;

/// Where a transaction stands, in one word scripts can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pending,
    Succeeded,
    /// FAILED (or an order's EXPIRED).
    Failed,
}

/// An exchange's or order's details. JSON field names are stable (README, "JSON shapes");
/// fields that do not apply to the kind are null.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DetailsRecord {
    pub kind: &'static str,
    pub id: String,
    /// The API's own word (COMPLETED, WAITING_FOR_PAYMENT, ...), verbatim.
    pub status: String,
    pub outcome: Outcome,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub amount: Option<String>,
    pub currency_from: Option<String>,
    pub currency_to: Option<String>,
    pub rate: Option<String>,
    pub amount_to: Option<String>,
    /// Orders: the crypto the payer sends.
    pub cryptocurrency: Option<String>,
    pub network: Option<String>,
    pub lock_id: Option<String>,
    /// Orders: where to pay; null once the order is final (it must not be paid any more).
    pub wallet_address: Option<String>,
    pub received_amount: Option<String>,
    pub total_amount_required: Option<String>,
    pub confirmations: Option<u32>,
    pub required_confirmations: Option<u32>,
    pub transaction_hash: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub expires_at: Option<String>,
    /// Why it failed (P-code and message), when the API said.
    pub error: Option<String>,
}

impl DetailsRecord {
    fn empty(kind: &'static str, id: &str, status: &str, outcome: Outcome, is_final: bool) -> Self {
        Self {
            kind,
            id: printable(id),
            status: printable(status),
            outcome,
            is_final,
            amount: None,
            currency_from: None,
            currency_to: None,
            rate: None,
            amount_to: None,
            cryptocurrency: None,
            network: None,
            lock_id: None,
            wallet_address: None,
            received_amount: None,
            total_amount_required: None,
            confirmations: None,
            required_confirmations: None,
            transaction_hash: None,
            created_at: None,
            updated_at: None,
            expires_at: None,
            error: None,
        }
    }

    pub fn exchange(details: &ExchangeDetails) -> Self {
        let outcome = match details.status {
            ExchangeStatus::Completed => Outcome::Succeeded,
            ExchangeStatus::Failed => Outcome::Failed,
            _ => Outcome::Pending,
        };
        let text =
            |value: Option<&crate::api::models::Currency>| value.map(|c| printable(c.as_str()));
        Self {
            amount: details.amount.map(|a| a.to_string()),
            currency_from: text(details.currency_from.as_ref()),
            currency_to: text(details.currency_to.as_ref()),
            rate: details.rate.map(|r| r.to_string()),
            amount_to: details.amount_to.map(|a| a.to_string()),
            created_at: details.created_at.map(iso),
            updated_at: details.updated_at.map(iso),
            error: (outcome == Outcome::Failed).then(|| {
                printable(&failure_reason(
                    details.error_code.as_deref(),
                    details.error_message.as_deref(),
                ))
            }),
            ..Self::empty(
                "exchange",
                &details.exchange_id,
                details.status.as_str(),
                outcome,
                details.status.is_final(),
            )
        }
    }

    pub fn order(details: &OrderDetails) -> Self {
        let outcome = match details.status {
            OrderStatus::Completed => Outcome::Succeeded,
            OrderStatus::Failed | OrderStatus::Expired => Outcome::Failed,
            _ => Outcome::Pending,
        };
        let is_final = details.status.is_final();
        Self {
            cryptocurrency: Some(printable(details.cryptocurrency.as_str())),
            network: details.network.as_deref().map(printable),
            lock_id: details.lock_id.as_deref().map(printable),
            wallet_address: details
                .wallet_address
                .as_deref()
                .filter(|_| !is_final)
                .map(printable),
            received_amount: details.received_amount.map(|a| a.to_string()),
            total_amount_required: details.total_amount_required.map(|a| a.to_string()),
            confirmations: details.confirmations,
            required_confirmations: details.required_confirmations,
            transaction_hash: details.transaction_hash.as_deref().map(printable),
            created_at: details.created_at.map(iso),
            expires_at: details.expires_at.map(iso),
            ..Self::empty(
                "order",
                &details.order_id,
                details.status.as_str(),
                outcome,
                is_final,
            )
        }
    }

    /// `key  value` lines for a person.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("kind", self.kind.to_owned()),
            ("id", self.id.clone()),
            ("status", self.status.clone()),
            ("outcome", format!("{:?}", self.outcome).to_lowercase()),
        ];
        let optional = [
            ("amount", &self.amount),
            ("currency_from", &self.currency_from),
            ("currency_to", &self.currency_to),
            ("rate", &self.rate),
            ("amount_to", &self.amount_to),
            ("cryptocurrency", &self.cryptocurrency),
            ("network", &self.network),
            ("lock_id", &self.lock_id),
            ("wallet_address", &self.wallet_address),
            ("received_amount", &self.received_amount),
            ("total_amount_required", &self.total_amount_required),
            ("transaction_hash", &self.transaction_hash),
            ("created_at", &self.created_at),
            ("updated_at", &self.updated_at),
            ("expires_at", &self.expires_at),
            ("error", &self.error),
        ];
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(key, value)| value.clone().map(|v| (key, v))),
        );
        if let (Some(done), Some(needed)) = (self.confirmations, self.required_confirmations) {
            pairs.push(("confirmations", format!("{done}/{needed}")));
        }
        pairs
    }
}

impl Record for DetailsRecord {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("kind", 8, Align::Left),
            col("id", 36, Align::Left),
            col("status", 26, Align::Status),
            col("outcome", 9, Align::Left),
            col("amount", 14, Align::Right),
            col("amount_to", 14, Align::Right),
            col("wallet_address", 0, Align::Left),
            col("error", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            self.kind.to_owned(),
            self.id.clone(),
            self.status.clone(),
            format!("{:?}", self.outcome).to_lowercase(),
            text(
                &self
                    .amount
                    .clone()
                    .or_else(|| self.total_amount_required.clone()),
            ),
            text(&self.amount_to),
            text(&self.wallet_address),
            text(&self.error),
        ]
    }
}

fn is_not_found(error: &ApiError) -> bool {
    matches!(error, ApiError::Business { status: 404, .. })
}

/// Reads one id's details. Without a kind: as an exchange, then as an order on a 404. An
/// answer about another id is not an answer about this one.
pub async fn fetch(
    client: &ApiClient,
    id: &str,
    kind: Option<Kind>,
) -> Result<DetailsRecord, CliError> {
    if kind != Some(Kind::Order) {
        match client.exchange_details(id).await {
            Ok(details) => return checked(id, DetailsRecord::exchange(&details)),
            Err(error) if kind.is_none() && is_not_found(&error) => {}
            Err(error) => return Err(CliError::api(&format!("exchange {id}"), &error)),
        }
    }
    match client.order_details(id).await {
        Ok(details) => checked(id, DetailsRecord::order(&details)),
        Err(error) if kind.is_none() && is_not_found(&error) => Err(CliError::api(
            &format!("{id} is neither an exchange nor an order"),
            &error,
        )),
        Err(error) => Err(CliError::api(&format!("order {id}"), &error)),
    }
}

/// Refuses a details answer whose id is not the one asked for.
pub fn checked(asked: &str, record: DetailsRecord) -> Result<DetailsRecord, CliError> {
    if record.id == printable(asked) {
        Ok(record)
    } else {
        Err(CliError::new(
            super::exit::Exit::Network,
            format!(
                "the server answered about {} when asked about {asked}: not used",
                record.id
            ),
        ))
    }
}
