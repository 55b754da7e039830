//! Request and response types of the P100 Partner API, tolerant as P100-API.md requires.
//!
//! Tolerance: amounts and rates are decimals from JSON strings or numbers; enums match case-
//! insensitively and keep unknown text; unknown fields are ignored; lists may come bare or
//! wrapped. Shapes marked [assumed] in P100-API.md are the best guess from the docs' outline.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::listing::{self, Listed};
use super::rows::Rows;
pub use super::rows::{UnreadableRow, unreadable_summary};
use crate::money::json::{as_number, as_string, decimal, decimal_opt};
use crate::printable::de::{string as text, string_opt as text_opt};
use crate::printable::{printable, printable_owned};

/// A currency slug as P100 writes it (`eur`, `usdc`). Stored lower-case; shown upper-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Currency(String);

impl Currency {
    pub fn new(slug: &str) -> Self {
        Self(slug.trim().to_ascii_lowercase())
    }

    /// The slug the API expects in requests.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_ascii_uppercase())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::new(&printable(&String::deserialize(deserializer)?)))
    }
}

/// Defines an enum matched case-insensitively from a JSON string, with `Other(raw)` keeping any
/// value the docs did not list (shown verbatim, never dropped).
macro_rules! tolerant_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value the docs do not list, kept as sent.
            Other(String),
        }

        impl $name {
            /// Parses case-insensitively; unknown text becomes `Other`.
            pub fn parse(raw: &str) -> Self {
                let upper = raw.trim().to_ascii_uppercase();
                match upper.as_str() {
                    $($text => Self::$variant,)+
                    _ => Self::Other(printable(raw.trim()).into_owned()),
                }
            }

            /// The canonical upper-case text (or the raw text for `Other`).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(raw) => raw,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Self::parse(&String::deserialize(deserializer)?))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

tolerant_enum!(
    /// Whether a fiat account can be used yet.
    FiatStatus {
        Active => "ACTIVE",
        WaitingToBeActivated => "WAITING_TO_BE_ACTIVATED",
    }
);

tolerant_enum!(
    /// The kind of a history row.
    TransactionType {
        Exchange => "EXCHANGE",
        Order => "ORDER",
        SepaTransfer => "SEPA_TRANSFER",
        SepaDeposit => "SEPA_DEPOSIT",
        CryptoWithdrawal => "CRYPTO_WITHDRAWAL",
        CryptoDeposit => "CRYPTO_DEPOSIT",
        Transfer => "TRANSFER",
    }
);

tolerant_enum!(
    /// The status of a history row. SUCCESSFUL/FAILED are the documented finals; COMPLETED is
    /// accepted as success because the exchange pages use it.
    TransactionStatus {
        Pending => "PENDING",
        Processing => "PROCESSING",
        Successful => "SUCCESSFUL",
        Completed => "COMPLETED",
        Failed => "FAILED",
    }
);

impl TransactionStatus {
    /// Only a documented final status is final; anything unknown is still pending.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Successful | Self::Completed | Self::Failed)
    }
}

tolerant_enum!(
    /// The status of an exchange on its details endpoint. COMPLETED and SUCCESSFUL (both
    /// documented success words) are final successes; FAILED and UNSUCCESSFUL final failures.
    ExchangeStatus {
        Pending => "PENDING",
        Queued => "QUEUED",
        Processing => "PROCESSING",
        Completed => "COMPLETED",
        Successful => "SUCCESSFUL",
        Failed => "FAILED",
        Unsuccessful => "UNSUCCESSFUL",
    }
);

impl ExchangeStatus {
    pub fn is_final(&self) -> bool {
        self.is_success() || self.is_failure()
    }

    /// A final success, however P100 spells it.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Completed | Self::Successful)
    }

    /// A final failure, however P100 spells it.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::Unsuccessful)
    }
}

tolerant_enum!(
    /// The status of an order. [doc]: the two WAITING_FOR_* states; the rest [assumed].
    OrderStatus {
        WaitingForWalletAddress => "WAITING_FOR_WALLET_ADDRESS",
        WaitingForPayment => "WAITING_FOR_PAYMENT",
        PartiallyPaid => "PARTIALLY_PAID",
        WaitingForConfirmation => "WAITING_FOR_CONFIRMATION",
        Completed => "COMPLETED",
        Successful => "SUCCESSFUL",
        Failed => "FAILED",
        Unsuccessful => "UNSUCCESSFUL",
        Expired => "EXPIRED",
    }
);

impl OrderStatus {
    /// An unknown status is treated as not final, so it keeps being watched.
    pub fn is_final(&self) -> bool {
        self.is_success() || self.is_failure() || matches!(self, Self::Expired)
    }

    /// A final success: COMPLETED or SUCCESSFUL.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Completed | Self::Successful)
    }

    /// A final failure: FAILED or UNSUCCESSFUL.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed | Self::Unsuccessful)
    }
}

/// A timestamp that tolerates a malformed value by dropping it (display shows "-").
fn lenient_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let raw = Option::<String>::deserialize(deserializer)?;
    Ok(raw
        .and_then(|text| DateTime::parse_from_rfc3339(text.trim()).ok())
        .map(|time| time.with_timezone(&Utc)))
}

/// A map whose keys (network slugs) are shown: made printable like every server string.
fn printable_keys<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, NetworkConfig>, D::Error> {
    Ok(
        BTreeMap::<String, NetworkConfig>::deserialize(deserializer)?
            .into_iter()
            .map(|(name, config)| (printable_owned(name), config))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Balances [doc, older docs generation]

/// `GET /v1/partner/balances`. One unreadable balance does not make the answer unreadable:
/// it is left out of its list and noted in `unreadable`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Balances {
    pub fiat_balances: Vec<FiatBalance>,
    pub crypto_balances: Vec<CryptoBalance>,
    /// Fiat rows first, then crypto rows (each `index` counts within its own list).
    pub unreadable: Vec<UnreadableRow>,
}

impl<'de> Deserialize<'de> for Balances {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Wire {
            #[serde(default)]
            fiat_balances: Rows<FiatBalance>,
            #[serde(default)]
            crypto_balances: Rows<CryptoBalance>,
        }
        let Wire {
            fiat_balances,
            crypto_balances,
        } = Wire::deserialize(deserializer)?;
        let mut unreadable = fiat_balances.bad;
        unreadable.extend(crypto_balances.bad);
        Ok(Self {
            fiat_balances: fiat_balances.good,
            crypto_balances: crypto_balances.good,
            unreadable,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FiatBalance {
    #[serde(deserialize_with = "text")]
    pub id: String,
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    /// The currency slug (`eur`).
    pub name: Currency,
    /// Value of one unit in EUR.
    #[serde(default, deserialize_with = "decimal_opt")]
    pub rate: Option<Decimal>,
    #[serde(default, deserialize_with = "text_opt")]
    pub iban: Option<String>,
    #[serde(default = "active")]
    pub status: FiatStatus,
}

fn active() -> FiatStatus {
    FiatStatus::Active
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CryptoBalance {
    #[serde(deserialize_with = "text")]
    pub id: String,
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    pub name: Currency,
    #[serde(default, deserialize_with = "text_opt")]
    pub wallet: Option<String>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub rate: Option<Decimal>,
    /// Per network slug (`polygon`, `ethereum`): its limits. Ordered for stable display.
    #[serde(default, deserialize_with = "printable_keys")]
    pub network_config: BTreeMap<String, NetworkConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfig {
    #[serde(default)]
    pub mainnet: Option<bool>,
    /// The chain's name (e.g. `amoy` for the Polygon test chain).
    #[serde(default, deserialize_with = "text_opt")]
    pub name: Option<String>,
    #[serde(default)]
    pub withdrawal: Option<WithdrawalLimits>,
    #[serde(default)]
    pub deposit: Option<DepositLimits>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalLimits {
    #[serde(default, deserialize_with = "decimal_opt")]
    pub fee_withdrawal: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub min_withdrawal: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DepositLimits {
    #[serde(default, deserialize_with = "decimal_opt")]
    pub min_deposit: Option<Decimal>,
}

// ---------------------------------------------------------------------------------------------
// Transaction history [assumed]

/// One page of `GET /v1/partner/transactions`. The list may come bare or wrapped in
/// `transactions` or `data`; paging fields are optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TransactionPage {
    pub transactions: Vec<Transaction>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub total: Option<u64>,
    /// Items that could not be read; the readable ones are all in `transactions`.
    pub unreadable: Vec<UnreadableRow>,
}

impl<'de> Deserialize<'de> for TransactionPage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Listed {
            items,
            page,
            limit,
            total,
        } = listing::deserialize(deserializer, &["transactions", "data", "items"])?;
        Ok(Self {
            transactions: items.good,
            page,
            limit,
            total,
            unreadable: items.bad,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[serde(deserialize_with = "text")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: TransactionType,
    pub status: TransactionStatus,
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    pub currency: Currency,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "text_opt")]
    pub description: Option<String>,
    /// The other leg of an exchange.
    #[serde(default)]
    pub currency_to: Option<Currency>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub amount_to: Option<Decimal>,
}

// ---------------------------------------------------------------------------------------------
// Currency exchange

/// `GET /v1/partner/exchange/rate` [assumed]: indicative only, not executable.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRate {
    pub currency_from: Currency,
    pub currency_to: Currency,
    #[serde(deserialize_with = "decimal")]
    pub rate: Decimal,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub amount: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub amount_to: Option<Decimal>,
}

/// `GET /v1/partner/exchange/lock` [assumed path]: an executable rate until `expires_at`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeLock {
    // P100-API.md (rev): one exchange page calls it `rateLockId`; both names are accepted.
    #[serde(deserialize_with = "text", alias = "rateLockId")]
    pub lock_id: String,
    pub currency_from: Currency,
    pub currency_to: Currency,
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub rate: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub amount_to: Decimal,
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/partner/exchange` body [doc]: `amount` is a JSON number.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRequest {
    #[serde(serialize_with = "as_number")]
    pub amount: Decimal,
    pub currency_from: Currency,
    pub currency_to: Currency,
    pub lock_id: String,
}

/// The 2xx answer to an exchange: it is queued, not done.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeAccepted {
    /// Check it with [`RemoteId::parse`](super::RemoteId::parse) before polling it.
    #[serde(deserialize_with = "text")]
    pub exchange_id: String,
}

/// `GET /v1/exchange/details/{id}` [doc path, assumed fields].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeDetails {
    #[serde(deserialize_with = "text")]
    pub exchange_id: String,
    pub status: ExchangeStatus,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub amount: Option<Decimal>,
    #[serde(default)]
    pub currency_from: Option<Currency>,
    #[serde(default)]
    pub currency_to: Option<Currency>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub rate: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub amount_to: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "text_opt")]
    pub error_code: Option<String>,
    #[serde(default, deserialize_with = "text_opt")]
    pub error_message: Option<String>,
}

impl ExchangeDetails {
    /// An answer with only the two fields P100 always sends (every other one is optional).
    pub fn status_only(exchange_id: impl Into<String>, status: ExchangeStatus) -> Self {
        Self {
            exchange_id: exchange_id.into(),
            status,
            amount: None,
            currency_from: None,
            currency_to: None,
            rate: None,
            amount_to: None,
            created_at: None,
            updated_at: None,
            error_code: None,
            error_message: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Orders

/// `GET /v1/order/rates` [assumed]: bare list or wrapped in `rates`/`data`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderRates {
    pub rates: Vec<OrderRate>,
}

impl<'de> Deserialize<'de> for OrderRates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let listed = listing::deserialize(deserializer, &["rates", "data", "items"])?;
        for row in &listed.items.bad {
            tracing::warn!(%row, "unreadable order rate skipped");
        }
        Ok(Self {
            rates: listed.items.good,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRate {
    #[serde(alias = "cryptocurrency")]
    pub currency: Currency,
    #[serde(deserialize_with = "text")]
    pub network: String,
    #[serde(deserialize_with = "decimal")]
    pub rate: Decimal,
    #[serde(default)]
    pub destination_currency: Option<Currency>,
}

/// `POST /v1/order/lock-rate` body [doc]: `amount` is the fiat to settle, as a string.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLockRequest {
    pub currency: Currency,
    #[serde(serialize_with = "as_string")]
    pub amount: Decimal,
    pub network: String,
}

/// The order rate lock [doc]. Both generations: `currency` or `cryptocurrency`, rate as string
/// or number, `destinationCurrency` optional (older generation: none, EUR implied).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLock {
    #[serde(deserialize_with = "text")]
    pub lock_id: String,
    /// The crypto amount the payer must send.
    #[serde(deserialize_with = "decimal")]
    pub amount: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub rate: Decimal,
    pub expires_at: DateTime<Utc>,
    #[serde(alias = "cryptocurrency")]
    pub currency: Currency,
    #[serde(default)]
    pub destination_currency: Option<Currency>,
    #[serde(default, deserialize_with = "text_opt")]
    pub network: Option<String>,
}

/// `POST /v1/order` body [doc].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreateRequest {
    pub lock_id: String,
}

/// The 201 answer to an order: created, wallet not yet generated.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    /// Check it with [`RemoteId::parse`](super::RemoteId::parse) before polling it.
    #[serde(deserialize_with = "text")]
    pub order_id: String,
}

/// `GET /v1/order/details/{id}` [doc].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetails {
    #[serde(deserialize_with = "text")]
    pub order_id: String,
    #[serde(default, deserialize_with = "text_opt")]
    pub lock_id: Option<String>,
    pub status: OrderStatus,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "listing::lenient_count")]
    pub confirmations: Option<u32>,
    #[serde(default, deserialize_with = "listing::lenient_count")]
    pub required_confirmations: Option<u32>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub received_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal_opt")]
    pub total_amount_required: Option<Decimal>,
    #[serde(alias = "currency")]
    pub cryptocurrency: Currency,
    #[serde(default, deserialize_with = "text_opt")]
    pub wallet_address: Option<String>,
    #[serde(default, deserialize_with = "text_opt")]
    pub transaction_hash: Option<String>,
    /// Sent upper-case (`POLYGON`) here, lower-case elsewhere: compare case-insensitively.
    #[serde(default, deserialize_with = "text_opt")]
    pub network: Option<String>,
}

impl OrderDetails {
    /// True when something arrived but less than required (an underpayment so far).
    pub fn is_underpaid(&self) -> bool {
        match (self.received_amount, self.total_amount_required) {
            (Some(received), Some(required)) => received > Decimal::ZERO && received < required,
            _ => false,
        }
    }
}
