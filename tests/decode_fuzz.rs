//! Decoding fuzz: every response model, the journal replay and the error-body classification
//! hold up against hostile input (never a panic), and valid documents decode exactly.
//!
//! Bounded for CI: 256 cases per property, 64 for the loopback-HTTP one. A long pass:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release --test decode_fuzz
//! ```
//!
//! `PROPTEST_CASES` overrides every property here; the HTTP one runs a sixteenth of it (at least
//! 64), since each of its cases is a real round trip.

use std::fmt::Write as _;
use std::io::Cursor;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Response, StatusCode};
use chrono::{DateTime, SecondsFormat, Utc};
use p100_desk::api::models::{
    Balances, ExchangeAccepted, ExchangeDetails, ExchangeLock, ExchangeRate, OrderCreated,
    OrderDetails, OrderLock, OrderRates, TransactionPage,
};
use p100_desk::api::retry::{DEFAULT_MAX_PAUSE, LONGEST_RETRY_AFTER, parse_retry_after};
use p100_desk::api::{ApiClient, ApiError, ApiSettings, RetryPolicy};
use p100_desk::journal::{self, Entry, Event, Journal};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use proptest::test_runner::TestRunner;
use rust_decimal::Decimal;
use secrecy::SecretString;

/// 256 cases, unless `PROPTEST_CASES` says otherwise (the `proptest!` macro re-reads the
/// environment over whatever config it is given).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// A JSON document we render ourselves, so numbers keep any text (huge, exponent, many decimals)
// and objects may repeat a key.

#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    Text(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(value) => {
                let _ = write!(out, "{value}");
            }
            Self::Number(text) => out.push_str(text),
            Self::Text(text) => push_string(out, text),
            Self::Array(items) => {
                out.push('[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    item.render_into(out);
                }
                out.push(']');
            }
            Self::Object(fields) => {
                out.push('{');
                for (position, (key, value)) in fields.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    push_string(out, key);
                    out.push(':');
                    value.render_into(out);
                }
                out.push('}');
            }
        }
    }

    /// This node and everything below it.
    fn node_count(&self) -> usize {
        1 + match self {
            Self::Array(items) => items.iter().map(Self::node_count).sum(),
            Self::Object(fields) => fields.iter().map(|(_, value)| value.node_count()).sum(),
            _ => 0,
        }
    }
}

fn push_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::to_string(text).expect("a string always encodes"));
}

/// Every field name the response models read, nested ones and aliases included, plus the
/// list envelopes.
const FIELDS: &[&str] = &[
    "fiatBalances",
    "cryptoBalances",
    "id",
    "amount",
    "name",
    "rate",
    "iban",
    "status",
    "wallet",
    "networkConfig",
    "polygon",
    "mainnet",
    "withdrawal",
    "feeWithdrawal",
    "minWithdrawal",
    "deposit",
    "minDeposit",
    "transactions",
    "data",
    "items",
    "page",
    "limit",
    "total",
    "type",
    "currency",
    "createdAt",
    "description",
    "currencyTo",
    "amountTo",
    "currencyFrom",
    "lockId",
    "expiresAt",
    "exchangeId",
    "updatedAt",
    "errorCode",
    "errorMessage",
    "errorName",
    "message",
    "error",
    "rates",
    "network",
    "destinationCurrency",
    "cryptocurrency",
    "orderId",
    "confirmations",
    "requiredConfirmations",
    "receivedAmount",
    "totalAmountRequired",
    "walletAddress",
    "transactionHash",
];

const FIAT_STATUSES: &[&str] = &["ACTIVE", "WAITING_TO_BE_ACTIVATED"];
const TRANSACTION_TYPES: &[&str] = &[
    "EXCHANGE",
    "ORDER",
    "SEPA_TRANSFER",
    "SEPA_DEPOSIT",
    "CRYPTO_WITHDRAWAL",
    "CRYPTO_DEPOSIT",
    "TRANSFER",
];
const TRANSACTION_STATUSES: &[&str] =
    &["PENDING", "PROCESSING", "SUCCESSFUL", "COMPLETED", "FAILED"];
const EXCHANGE_STATUSES: &[&str] = &["PENDING", "QUEUED", "PROCESSING", "COMPLETED", "FAILED"];
const ORDER_STATUSES: &[&str] = &[
    "WAITING_FOR_WALLET_ADDRESS",
    "WAITING_FOR_PAYMENT",
    "PARTIALLY_PAID",
    "WAITING_FOR_CONFIRMATION",
    "COMPLETED",
    "FAILED",
    "EXPIRED",
];
const CURRENCIES: &[&str] = &[
    "eur", "btc", "eth", "ltc", "doge", "pol", "usdc", "usdt", "eurt",
];

/// `text` with each letter's case chosen by `uppers` (cycled).
fn mixed_case(text: &str, uppers: &[bool]) -> String {
    text.chars()
        .zip(uppers.iter().cycle())
        .map(|(ch, upper)| {
            if *upper {
                ch.to_ascii_uppercase()
            } else {
                ch.to_ascii_lowercase()
            }
        })
        .collect()
}

/// One of `words` in random letter case, possibly padded with blanks.
fn any_case(words: &'static [&'static str]) -> impl Strategy<Value = (String, &'static str)> {
    (select(words), vec(any::<bool>(), 1..8), any::<bool>()).prop_map(|(word, uppers, padded)| {
        let mixed = mixed_case(word, &uppers);
        (if padded { format!(" {mixed}\t") } else { mixed }, word)
    })
}

/// JSON number text: plain, huge, negative, exponent, many decimals, and known edge values.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i64>(), 0u32..=28)
            .prop_map(|(mantissa, scale)| { Decimal::new(mantissa, scale).to_string() }),
        "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,5})?",
        select(
            &[
                "-0",
                "-0.0",
                "0e0",
                "1e400",
                "-1e-400",
                "1E+2",
                "1e28",
                "1e-28",
                "1e-29",
                "9e999999999",
                "1e-9999999999",
                "4294967296",
                "18446744073709551616",
                "79228162514264337593543950335",
                "79228162514264337593543950336",
                "-79228162514264337593543950336",
                "0.0000000000000000000000000001",
                "0.00000000000000000000000000001",
                "1.00000000000000000000000000005",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

fn timestamp() -> impl Strategy<Value = String> {
    (0i64..4_000_000_000_000).prop_map(|millis| {
        DateTime::<Utc>::from_timestamp_millis(millis)
            .expect("in chrono's range")
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    })
}

/// Any text a field might hold: real names, statuses, amounts and times as text, and junk.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(FIELDS).prop_map(str::to_owned),
        any_case(ORDER_STATUSES).prop_map(|(text, _)| text),
        any_case(CURRENCIES).prop_map(|(text, _)| text),
        number_text(),
        timestamp(),
        select(
            &[
                "",
                " ",
                "2026-02-30T00:00:00Z",
                "+275760-09-13T00:00:00Z",
                "9999-12-31T23:59:60Z",
                "2026-02-13T11:28:46.569+99:99",
                "P462",
                "p501",
                "P403",
                "NaN",
                "Infinity",
                "0x1F",
                "1_000",
                "1,5",
                "\u{1b}[2J",
            ][..]
        )
        .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(FIELDS).prop_map(str::to_owned),
        1 => (select(FIELDS), vec(any::<bool>(), 1..8))
            .prop_map(|(field, uppers)| mixed_case(field, &uppers)),
        1 => "[a-zA-Z_$]{0,10}",
    ]
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        1 => Just(Json::Null),
        1 => any::<bool>().prop_map(Json::Bool),
        2 => number_text().prop_map(Json::Number),
        3 => text().prop_map(Json::Text),
    ]
}

/// Any JSON value, nested a few levels, with keys mostly taken from the models.
fn value() -> BoxedStrategy<Json> {
    scalar()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Json::Array),
                vec((key(), inner), 0..8).prop_map(Json::Object),
            ]
        })
        .boxed()
}

/// A top-level document: mostly an object of model fields, sometimes a list or a scalar.
fn structure() -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => vec((key(), value()), 0..14).prop_map(Json::Object),
        1 => vec(value(), 0..6).prop_map(Json::Array),
        1 => value(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Valid documents that remember what they hold, in the order each `observe_*` reads it back.

/// A valid document, the decimals it holds (value and scale must survive) and the words (ids,
/// canonical statuses, lower-case currencies, times) its model must report.
#[derive(Debug, Clone)]
struct Valid {
    json: Json,
    amounts: Vec<Decimal>,
    words: Vec<String>,
}

/// One field's content while building a `Valid`.
#[derive(Debug)]
enum Piece {
    Money(Decimal, Json),
    /// What the document says, and what the model must report for it.
    Word(String, String),
    Raw(Json),
    Part(Valid),
    Parts(Vec<Valid>),
}

impl Valid {
    fn object(fields: Vec<(&str, Piece)>) -> Self {
        let mut valid = Self {
            json: Json::Null,
            amounts: Vec::new(),
            words: Vec::new(),
        };
        let mut members = Vec::new();
        for (key, piece) in fields {
            members.push((key.to_owned(), valid.absorb(piece)));
        }
        valid.json = Json::Object(members);
        valid
    }

    fn list(items: Vec<Self>) -> Self {
        let mut valid = Self::object(Vec::new());
        valid.json = valid.absorb(Piece::Parts(items));
        valid
    }

    fn absorb(&mut self, piece: Piece) -> Json {
        match piece {
            Piece::Money(value, json) => {
                self.amounts.push(value);
                json
            }
            Piece::Word(sent, expected) => {
                self.words.push(expected);
                Json::Text(sent)
            }
            Piece::Raw(json) => json,
            Piece::Part(part) => self.absorb_part(part),
            Piece::Parts(parts) => Json::Array(
                parts
                    .into_iter()
                    .map(|part| self.absorb_part(part))
                    .collect(),
            ),
        }
    }

    fn absorb_part(&mut self, part: Self) -> Json {
        self.amounts.extend(part.amounts);
        self.words.extend(part.words);
        part.json
    }
}

/// A decimal (mantissa i64, scale 0..=18) sent as a JSON string or a JSON number.
fn money() -> impl Strategy<Value = Piece> {
    (any::<i64>(), 0u32..=18, any::<bool>()).prop_map(|(mantissa, scale, as_text)| {
        let value = Decimal::new(mantissa, scale);
        let text = value.to_string();
        let json = if as_text {
            Json::Text(text)
        } else {
            Json::Number(text)
        };
        Piece::Money(value, json)
    })
}

/// A count sent as a JSON number or string; the model reports it as a whole decimal.
fn count() -> impl Strategy<Value = Piece> {
    (any::<u32>(), any::<bool>()).prop_map(|(count, as_text)| {
        let json = if as_text {
            Json::Text(count.to_string())
        } else {
            Json::Number(count.to_string())
        };
        Piece::Money(Decimal::from(count), json)
    })
}

/// An opaque id or free text: kept as sent once made printable (control characters, escape
/// sequences and bidirectional controls replaced, issue 9 item 12).
fn opaque() -> impl Strategy<Value = Piece> {
    any::<String>().prop_map(|text| {
        let shown = p100_desk::printable::printable_owned(text.clone());
        Piece::Word(text, shown)
    })
}

fn status(words: &'static [&'static str]) -> impl Strategy<Value = Piece> {
    any_case(words).prop_map(|(sent, canonical)| Piece::Word(sent, canonical.to_owned()))
}

fn currency() -> impl Strategy<Value = Piece> {
    any_case(CURRENCIES).prop_map(|(sent, slug)| Piece::Word(sent, slug.to_owned()))
}

fn time() -> impl Strategy<Value = Piece> {
    timestamp().prop_map(|text| Piece::Word(text.clone(), text))
}

/// Text or null, for the optional strings (iban, wallet) whose content is not checked.
fn optional_text() -> impl Strategy<Value = Piece> {
    proptest::option::of(any::<String>())
        .prop_map(|text| Piece::Raw(text.map_or(Json::Null, Json::Text)))
}

fn fiat_balance() -> impl Strategy<Value = Valid> {
    (
        opaque(),
        money(),
        currency(),
        money(),
        optional_text(),
        status(FIAT_STATUSES),
    )
        .prop_map(|(id, amount, name, rate, iban, status)| {
            Valid::object(vec![
                ("id", id),
                ("amount", amount),
                ("name", name),
                ("rate", rate),
                ("iban", iban),
                ("status", status),
            ])
        })
}

fn network_config() -> impl Strategy<Value = Valid> {
    (any::<bool>(), opaque(), money(), money(), money()).prop_map(
        |(mainnet, name, fee, min_withdrawal, min_deposit)| {
            Valid::object(vec![
                ("mainnet", Piece::Raw(Json::Bool(mainnet))),
                ("name", name),
                (
                    "withdrawal",
                    Piece::Part(Valid::object(vec![
                        ("feeWithdrawal", fee),
                        ("minWithdrawal", min_withdrawal),
                    ])),
                ),
                (
                    "deposit",
                    Piece::Part(Valid::object(vec![("minDeposit", min_deposit)])),
                ),
            ])
        },
    )
}

fn crypto_balance() -> impl Strategy<Value = Valid> {
    // Network names sorted, as the model keeps them in a BTreeMap.
    let networks =
        subsequence(&["ethereum", "polygon", "tron"][..], 0..=3).prop_flat_map(|names| {
            vec(network_config(), names.len()).prop_map(move |configs| {
                let mut valid = Valid::object(Vec::new());
                let members = names
                    .iter()
                    .zip(configs)
                    .map(|(name, config)| ((*name).to_owned(), valid.absorb(Piece::Part(config))))
                    .collect();
                valid.json = Json::Object(members);
                valid
            })
        });
    (
        opaque(),
        money(),
        currency(),
        optional_text(),
        money(),
        networks,
    )
        .prop_map(|(id, amount, name, wallet, rate, networks)| {
            Valid::object(vec![
                ("id", id),
                ("amount", amount),
                ("name", name),
                ("wallet", wallet),
                ("rate", rate),
                ("networkConfig", Piece::Part(networks)),
            ])
        })
}

fn valid_balances() -> impl Strategy<Value = Valid> {
    (vec(fiat_balance(), 0..3), vec(crypto_balance(), 0..3)).prop_map(|(fiat, crypto)| {
        Valid::object(vec![
            ("fiatBalances", Piece::Parts(fiat)),
            ("cryptoBalances", Piece::Parts(crypto)),
        ])
    })
}

fn transaction() -> impl Strategy<Value = Valid> {
    (
        opaque(),
        status(TRANSACTION_TYPES),
        status(TRANSACTION_STATUSES),
        money(),
        currency(),
        time(),
        opaque(),
        currency(),
        money(),
    )
        .prop_map(
            |(id, kind, status, amount, currency, created, description, to, amount_to)| {
                Valid::object(vec![
                    ("id", id),
                    ("type", kind),
                    ("status", status),
                    ("amount", amount),
                    ("currency", currency),
                    ("createdAt", created),
                    ("description", description),
                    ("currencyTo", to),
                    ("amountTo", amount_to),
                ])
            },
        )
}

/// A list bare, or wrapped under one of `keys` with paging counts beside it (which the model
/// reports only when `paging_kept`).
fn listed(
    item: impl Strategy<Value = Valid>,
    keys: &'static [&'static str],
    paging_kept: bool,
) -> impl Strategy<Value = Valid> {
    let paging = move |piece: Piece| match piece {
        Piece::Money(_, json) if !paging_kept => Piece::Raw(json),
        other => other,
    };
    (
        vec(item, 0..4),
        proptest::option::of(select(keys)),
        count(),
        count(),
        count(),
    )
        .prop_map(move |(items, key, page, limit, total)| match key {
            None => Valid::list(items),
            Some(key) => Valid::object(vec![
                ("page", paging(page)),
                ("limit", paging(limit)),
                ("total", paging(total)),
                (key, Piece::Parts(items)),
            ]),
        })
}

fn valid_exchange_rate() -> impl Strategy<Value = Valid> {
    (currency(), currency(), money(), money(), money()).prop_map(
        |(from, to, rate, amount, amount_to)| {
            Valid::object(vec![
                ("currencyFrom", from),
                ("currencyTo", to),
                ("rate", rate),
                ("amount", amount),
                ("amountTo", amount_to),
            ])
        },
    )
}

fn valid_exchange_lock() -> impl Strategy<Value = Valid> {
    (
        opaque(),
        currency(),
        currency(),
        money(),
        money(),
        money(),
        time(),
    )
        .prop_map(|(lock, from, to, amount, rate, amount_to, expires)| {
            Valid::object(vec![
                ("lockId", lock),
                ("currencyFrom", from),
                ("currencyTo", to),
                ("amount", amount),
                ("rate", rate),
                ("amountTo", amount_to),
                ("expiresAt", expires),
            ])
        })
}

fn valid_id_answer(key: &'static str) -> impl Strategy<Value = Valid> {
    opaque().prop_map(move |id| Valid::object(vec![(key, id)]))
}

fn valid_exchange_details() -> impl Strategy<Value = Valid> {
    (
        (
            opaque(),
            status(EXCHANGE_STATUSES),
            money(),
            currency(),
            currency(),
        ),
        (money(), money(), time(), time(), opaque(), opaque()),
    )
        .prop_map(
            |(
                (id, status, amount, from, to),
                (rate, amount_to, created, updated, code, message),
            )| {
                Valid::object(vec![
                    ("exchangeId", id),
                    ("status", status),
                    ("amount", amount),
                    ("currencyFrom", from),
                    ("currencyTo", to),
                    ("rate", rate),
                    ("amountTo", amount_to),
                    ("createdAt", created),
                    ("updatedAt", updated),
                    ("errorCode", code),
                    ("errorMessage", message),
                ])
            },
        )
}

fn order_rate() -> impl Strategy<Value = Valid> {
    (any::<bool>(), currency(), opaque(), money(), currency()).prop_map(
        |(older, currency, network, rate, destination)| {
            Valid::object(vec![
                (if older { "cryptocurrency" } else { "currency" }, currency),
                ("network", network),
                ("rate", rate),
                ("destinationCurrency", destination),
            ])
        },
    )
}

/// Both documented generations: `currency` + `destinationCurrency`, or `cryptocurrency` alone.
fn valid_order_lock() -> impl Strategy<Value = Valid> {
    (
        any::<bool>(),
        opaque(),
        money(),
        money(),
        time(),
        currency(),
        currency(),
        opaque(),
    )
        .prop_map(
            |(older, lock, amount, rate, expires, currency, destination, network)| {
                let mut fields = vec![
                    ("lockId", lock),
                    ("amount", amount),
                    ("rate", rate),
                    ("expiresAt", expires),
                    (if older { "cryptocurrency" } else { "currency" }, currency),
                ];
                if !older {
                    fields.push(("destinationCurrency", destination));
                }
                fields.push(("network", network));
                Valid::object(fields)
            },
        )
}

fn valid_order_details() -> impl Strategy<Value = Valid> {
    (
        (
            opaque(),
            opaque(),
            status(ORDER_STATUSES),
            time(),
            time(),
            count(),
        ),
        (count(), money(), money(), any::<bool>(), currency()),
        (opaque(), opaque(), opaque()),
    )
        .prop_map(
            |(
                (order, lock, status, created, expires, confirmations),
                (required, received, total, alias, crypto),
                (wallet, hash, network),
            )| {
                Valid::object(vec![
                    ("orderId", order),
                    ("lockId", lock),
                    ("status", status),
                    ("createdAt", created),
                    ("expiresAt", expires),
                    ("confirmations", confirmations),
                    ("requiredConfirmations", required),
                    ("receivedAmount", received),
                    ("totalAmountRequired", total),
                    (if alias { "currency" } else { "cryptocurrency" }, crypto),
                    ("walletAddress", wallet),
                    ("transactionHash", hash),
                    ("network", network),
                ])
            },
        )
}

// ---------------------------------------------------------------------------------------------
// What a decoded model reports, in the order the generators above wrote it.

type Observed = (Vec<Decimal>, Vec<String>);

fn shown_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn observe_balances(balances: &Balances) -> Observed {
    let (mut amounts, mut words) = (Vec::new(), Vec::new());
    for fiat in &balances.fiat_balances {
        amounts.push(fiat.amount);
        amounts.extend(fiat.rate);
        words.extend([fiat.id.clone(), fiat.name.as_str().to_owned()]);
        words.push(fiat.status.as_str().to_owned());
    }
    for crypto in &balances.crypto_balances {
        amounts.push(crypto.amount);
        amounts.extend(crypto.rate);
        words.extend([crypto.id.clone(), crypto.name.as_str().to_owned()]);
        for config in crypto.network_config.values() {
            words.extend(config.name.clone());
            let withdrawal = config.withdrawal.clone().unwrap_or_default();
            amounts.extend(withdrawal.fee_withdrawal);
            amounts.extend(withdrawal.min_withdrawal);
            amounts.extend(
                config
                    .deposit
                    .as_ref()
                    .and_then(|deposit| deposit.min_deposit),
            );
        }
    }
    (amounts, words)
}

fn observe_transactions(page: &TransactionPage) -> Observed {
    let mut amounts: Vec<Decimal> = [page.page, page.limit]
        .into_iter()
        .flatten()
        .map(Decimal::from)
        .chain(page.total.map(Decimal::from))
        .collect();
    let mut words = Vec::new();
    for row in &page.transactions {
        amounts.push(row.amount);
        amounts.extend(row.amount_to);
        words.extend([row.id.clone(), row.kind.as_str().to_owned()]);
        words.extend([
            row.status.as_str().to_owned(),
            row.currency.as_str().to_owned(),
        ]);
        words.extend(row.created_at.as_ref().map(shown_time));
        words.extend(row.description.clone());
        words.extend(row.currency_to.as_ref().map(|to| to.as_str().to_owned()));
    }
    (amounts, words)
}

fn observe_exchange_rate(rate: &ExchangeRate) -> Observed {
    let amounts = [Some(rate.rate), rate.amount, rate.amount_to];
    let words = [&rate.currency_from, &rate.currency_to].map(|c| c.as_str().to_owned());
    (amounts.into_iter().flatten().collect(), words.to_vec())
}

fn observe_exchange_lock(lock: &ExchangeLock) -> Observed {
    let words = vec![
        lock.lock_id.clone(),
        lock.currency_from.as_str().to_owned(),
        lock.currency_to.as_str().to_owned(),
        shown_time(&lock.expires_at),
    ];
    (vec![lock.amount, lock.rate, lock.amount_to], words)
}

fn observe_exchange_accepted(accepted: &ExchangeAccepted) -> Observed {
    (Vec::new(), vec![accepted.exchange_id.clone()])
}

fn observe_exchange_details(details: &ExchangeDetails) -> Observed {
    let amounts = [details.amount, details.rate, details.amount_to];
    let mut words = vec![
        details.exchange_id.clone(),
        details.status.as_str().to_owned(),
    ];
    words.extend(
        [&details.currency_from, &details.currency_to]
            .into_iter()
            .flatten()
            .map(|c| c.as_str().to_owned()),
    );
    words.extend(
        [&details.created_at, &details.updated_at]
            .into_iter()
            .flatten()
            .map(shown_time),
    );
    words.extend(details.error_code.clone());
    words.extend(details.error_message.clone());
    (amounts.into_iter().flatten().collect(), words)
}

fn observe_order_rates(rates: &OrderRates) -> Observed {
    let (mut amounts, mut words) = (Vec::new(), Vec::new());
    for rate in &rates.rates {
        amounts.push(rate.rate);
        words.extend([rate.currency.as_str().to_owned(), rate.network.clone()]);
        words.extend(
            rate.destination_currency
                .as_ref()
                .map(|c| c.as_str().to_owned()),
        );
    }
    (amounts, words)
}

fn observe_order_lock(lock: &OrderLock) -> Observed {
    let mut words = vec![lock.lock_id.clone(), shown_time(&lock.expires_at)];
    words.push(lock.currency.as_str().to_owned());
    words.extend(
        lock.destination_currency
            .as_ref()
            .map(|c| c.as_str().to_owned()),
    );
    words.extend(lock.network.clone());
    (vec![lock.amount, lock.rate], words)
}

fn observe_order_created(created: &OrderCreated) -> Observed {
    (Vec::new(), vec![created.order_id.clone()])
}

fn observe_order_details(details: &OrderDetails) -> Observed {
    let counts = [details.confirmations, details.required_confirmations];
    let amounts = counts
        .into_iter()
        .flatten()
        .map(Decimal::from)
        .chain(details.received_amount)
        .chain(details.total_amount_required)
        .collect();
    let mut words = vec![details.order_id.clone()];
    words.extend(details.lock_id.clone());
    words.push(details.status.as_str().to_owned());
    words.extend(
        [&details.created_at, &details.expires_at]
            .into_iter()
            .flatten()
            .map(shown_time),
    );
    words.push(details.cryptocurrency.as_str().to_owned());
    words.extend(details.wallet_address.clone());
    words.extend(details.transaction_hash.clone());
    words.extend(details.network.clone());
    (amounts, words)
}

/// Decimals with their scale: `1.50` and `1.5` are equal numbers but not the same amount text.
fn exact(amounts: &[Decimal]) -> Vec<(Decimal, u32)> {
    amounts
        .iter()
        .map(|amount| (*amount, amount.scale()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Structural edits of a valid document: the decoders see nearly-right input, deep inside.

#[derive(Debug, Clone)]
enum Edit {
    Replace(Json),
    Remove,
    Duplicate,
    Rename(String),
}

fn edit() -> impl Strategy<Value = (Index, Edit)> {
    let edit = prop_oneof![
        2 => value().prop_map(Edit::Replace),
        1 => Just(Edit::Remove),
        1 => Just(Edit::Duplicate),
        1 => key().prop_map(Edit::Rename),
    ];
    (any::<Index>(), edit)
}

/// Applies `edit` to one node below the root, picked by `index` in pre-order.
fn apply_edit(root: &mut Json, index: Index, edit: &Edit) {
    let below = root.node_count() - 1;
    if below == 0 {
        if let Edit::Replace(value) = edit {
            *root = value.clone();
        }
        return;
    }
    let mut target = index.index(below);
    edit_below(root, &mut target, edit);
}

fn edit_below(node: &mut Json, target: &mut usize, edit: &Edit) -> bool {
    match node {
        Json::Array(items) => {
            for position in 0..items.len() {
                if *target == 0 {
                    match edit {
                        Edit::Replace(value) => items[position] = value.clone(),
                        Edit::Remove => drop(items.remove(position)),
                        Edit::Duplicate => {
                            let copy = items[position].clone();
                            items.insert(position, copy);
                        }
                        Edit::Rename(_) => {}
                    }
                    return true;
                }
                *target -= 1;
                if edit_below(&mut items[position], target, edit) {
                    return true;
                }
            }
            false
        }
        Json::Object(fields) => {
            for position in 0..fields.len() {
                if *target == 0 {
                    match edit {
                        Edit::Replace(value) => fields[position].1 = value.clone(),
                        Edit::Remove => drop(fields.remove(position)),
                        Edit::Duplicate => {
                            let copy = fields[position].clone();
                            fields.insert(position, copy);
                        }
                        Edit::Rename(name) => fields[position].0.clone_from(name),
                    }
                    return true;
                }
                *target -= 1;
                if edit_below(&mut fields[position].1, target, edit) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Properties 1-4, one module of targets per response model.

macro_rules! model_targets {
    ($($module:ident: $model:ty = $valid:expr, $observe:path;)+) => {$(
        mod $module {
            use super::*;

            proptest! {
                #![proptest_config(config())]

                #[test]
                fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
                    let _ = serde_json::from_slice::<$model>(&bytes);
                }

                #[test]
                fn random_structures_never_panic(document in structure()) {
                    let _ = serde_json::from_str::<$model>(&document.render());
                }

                #[test]
                fn edited_valid_documents_never_panic(
                    valid in $valid,
                    edits in vec(edit(), 1..4),
                ) {
                    let mut json = valid.json;
                    for (index, edit) in &edits {
                        apply_edit(&mut json, *index, edit);
                    }
                    let _ = serde_json::from_str::<$model>(&json.render());
                }

                #[test]
                fn torn_or_flipped_valid_documents_never_panic(
                    valid in $valid,
                    flips in vec((any::<Index>(), any::<u8>()), 0..4),
                    cut in any::<Index>(),
                ) {
                    let mut bytes = valid.json.render().into_bytes();
                    for (at, byte) in flips {
                        let at = at.index(bytes.len());
                        bytes[at] = byte;
                    }
                    bytes.truncate(cut.index(bytes.len() + 1));
                    let _ = serde_json::from_slice::<$model>(&bytes);
                }

                #[test]
                fn valid_documents_decode_exactly_in_any_letter_case(valid in $valid) {
                    let text = valid.json.render();
                    let model: $model = serde_json::from_str(&text)
                        .map_err(|error| TestCaseError::fail(format!("{error} in {text}")))?;
                    let (amounts, words) = $observe(&model);
                    prop_assert_eq!(exact(&amounts), exact(&valid.amounts), "{}", text);
                    prop_assert_eq!(words, valid.words, "{}", text);
                }
            }
        }
    )+};
}

model_targets! {
    balances: Balances = valid_balances(), observe_balances;
    transaction_page: TransactionPage =
        listed(transaction(), &["transactions", "data", "items"], true), observe_transactions;
    exchange_rate: ExchangeRate = valid_exchange_rate(), observe_exchange_rate;
    exchange_lock: ExchangeLock = valid_exchange_lock(), observe_exchange_lock;
    exchange_accepted: ExchangeAccepted =
        valid_id_answer("exchangeId"), observe_exchange_accepted;
    exchange_details: ExchangeDetails = valid_exchange_details(), observe_exchange_details;
    order_rates: OrderRates =
        listed(order_rate(), &["rates", "data", "items"], false), observe_order_rates;
    order_lock: OrderLock = valid_order_lock(), observe_order_lock;
    order_created: OrderCreated = valid_id_answer("orderId"), observe_order_created;
    order_details: OrderDetails = valid_order_details(), observe_order_details;
}

/// Every response model's decoder, for the hand-made hostile shapes below.
const DECODERS: [fn(&[u8]) -> bool; 10] = [
    |b| serde_json::from_slice::<Balances>(b).is_ok(),
    |b| serde_json::from_slice::<TransactionPage>(b).is_ok(),
    |b| serde_json::from_slice::<ExchangeRate>(b).is_ok(),
    |b| serde_json::from_slice::<ExchangeLock>(b).is_ok(),
    |b| serde_json::from_slice::<ExchangeAccepted>(b).is_ok(),
    |b| serde_json::from_slice::<ExchangeDetails>(b).is_ok(),
    |b| serde_json::from_slice::<OrderRates>(b).is_ok(),
    |b| serde_json::from_slice::<OrderLock>(b).is_ok(),
    |b| serde_json::from_slice::<OrderCreated>(b).is_ok(),
    |b| serde_json::from_slice::<OrderDetails>(b).is_ok(),
];

/// Shapes random generation rarely reaches: nesting far past serde_json's recursion limit (in
/// an ignored field, in a list, in a known field), and very long lists.
#[test]
fn hostile_shapes_never_panic() {
    let nest = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = |depth: usize| format!("{}{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let deep = nest(100_000);
    let documents = [
        format!(r#"{{"exchangeId":"x","orderId":"o","junk":{deep}}}"#),
        format!(r#"{{"junk":{}}}"#, objects(100_000)),
        deep.clone(),
        format!(r#"{{"transactions":{deep},"rates":{deep},"data":{deep}}}"#),
        format!(r#"{{"fiatBalances":{deep},"networkConfig":{deep},"status":{deep}}}"#),
        format!(r#"{{"fiatBalances":[{}]}}"#, vec!["{}"; 100_000].join(",")),
        format!("[{}]", vec!["{}"; 100_000].join(",")),
        format!(r#"{{"rate":{}}}"#, "9".repeat(100_000)),
        format!(r#"{{"rate":"0.{}1"}}"#, "0".repeat(100_000)),
    ];
    for document in &documents {
        for decode in DECODERS {
            // Ok or Err both fine (Balances accepts `{}`): decoding must only return.
            let _ = decode(document.as_bytes());
        }
    }
}

mod statuses {
    use super::*;
    use p100_desk::api::models::{
        ExchangeStatus, FiatStatus, OrderStatus, TransactionStatus, TransactionType,
    };

    proptest! {
        #![proptest_config(config())]

        /// Property 4, by variant: every documented status in any letter case (and padded)
        /// decodes to the variant of its canonical spelling, never to `Other`.
        #[test]
        fn statuses_in_any_case_decode_to_the_same_variant(
            (fiat, fiat_canonical) in any_case(FIAT_STATUSES),
            (kind, kind_canonical) in any_case(TRANSACTION_TYPES),
            (row, row_canonical) in any_case(TRANSACTION_STATUSES),
            (exchange, exchange_canonical) in any_case(EXCHANGE_STATUSES),
            (order, order_canonical) in any_case(ORDER_STATUSES),
        ) {
            let balances: Balances = decode(&serde_json::json!({"fiatBalances": [
                {"id": "f", "amount": "1", "name": "eur", "status": fiat}]}))?;
            let status = &balances.fiat_balances[0].status;
            prop_assert_eq!(status, &FiatStatus::parse(fiat_canonical));
            prop_assert!(!matches!(status, FiatStatus::Other(_)));

            let page: TransactionPage = decode(&serde_json::json!([{"id": "t",
                "type": kind, "status": row, "amount": 1, "currency": "eur"}]))?;
            let first = &page.transactions[0];
            prop_assert_eq!(&first.kind, &TransactionType::parse(kind_canonical));
            prop_assert!(!matches!(first.kind, TransactionType::Other(_)));
            prop_assert_eq!(&first.status, &TransactionStatus::parse(row_canonical));
            prop_assert!(!matches!(first.status, TransactionStatus::Other(_)));

            let details: ExchangeDetails =
                decode(&serde_json::json!({"exchangeId": "x", "status": exchange}))?;
            prop_assert_eq!(&details.status, &ExchangeStatus::parse(exchange_canonical));
            prop_assert!(!matches!(details.status, ExchangeStatus::Other(_)));

            let details: OrderDetails = decode(&serde_json::json!({
                "orderId": "o", "status": order, "cryptocurrency": "usdc"}))?;
            prop_assert_eq!(&details.status, &OrderStatus::parse(order_canonical));
            prop_assert!(!matches!(details.status, OrderStatus::Other(_)));
        }
    }
}

/// Decodes the text of `value`, as the client does (from bytes, not from a buffered `Value`).
fn decode<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, TestCaseError> {
    serde_json::from_str(&value.to_string()).map_err(|error| TestCaseError::fail(error.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Property 5: journal replay.

fn journal_decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=18).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

/// One journal line to write: a new intent, or an outcome for an earlier intent (`Index`).
#[derive(Debug, Clone)]
enum Step {
    Open(Event),
    Outcome(Index, Event),
}

fn step() -> impl Strategy<Value = Step> {
    let text = any::<String>;
    let exchange = (
        text(),
        text(),
        journal_decimal(),
        journal_decimal(),
        journal_decimal(),
        text(),
    )
        .prop_map(
            |(from, to, amount, amount_to, rate, lock_id)| Event::ExchangeIntent {
                from,
                to,
                amount,
                amount_to,
                rate,
                lock_id,
            },
        );
    let order = (
        (text(), text(), journal_decimal(), text()),
        (journal_decimal(), journal_decimal(), text()),
    )
        .prop_map(
            |((currency, network, fiat_amount, fiat_currency), (crypto_amount, rate, lock_id))| {
                Event::OrderIntent {
                    currency,
                    network,
                    fiat_amount,
                    fiat_currency,
                    crypto_amount,
                    rate,
                    lock_id,
                }
            },
        );
    let outcome = prop_oneof![
        text().prop_map(|remote_id| Event::Accepted {
            remote_id,
            attempt: None,
        }),
        text().prop_map(|reason| Event::Rejected { reason }),
        text().prop_map(|reason| Event::Unknown { reason }),
        (proptest::option::of(text()), text())
            .prop_map(|(remote_id, note)| Event::Reconciled { remote_id, note }),
        (text(), proptest::option::of(text()))
            .prop_map(|(status, reason)| Event::Final { status, reason }),
    ];
    prop_oneof![
        1 => exchange.prop_map(Step::Open),
        1 => order.prop_map(Step::Open),
        2 => (any::<Index>(), outcome).prop_map(|(index, event)| Step::Outcome(index, event)),
    ]
}

/// A consistent journal: every outcome names an intent opened on an earlier line.
fn journal_entries() -> impl Strategy<Value = Vec<Entry>> {
    (vec(step(), 1..12), any::<String>(), 0i64..4_000_000_000_000).prop_map(
        |(steps, profile, millis)| {
            let at = DateTime::<Utc>::from_timestamp_millis(millis).expect("in chrono's range");
            let mut opened: Vec<String> = Vec::new();
            steps
                .into_iter()
                .filter_map(|step| {
                    let (intent, event) = match step {
                        Step::Open(event) => {
                            opened.push(format!("intent-{}", opened.len()));
                            (opened.last()?.clone(), event)
                        }
                        Step::Outcome(index, event) if !opened.is_empty() => {
                            (opened[index.index(opened.len())].clone(), event)
                        }
                        Step::Outcome(..) => return None,
                    };
                    Some(Entry {
                        at,
                        profile: profile.clone(),
                        environment: "sandbox\n\"quoted\"".to_owned(),
                        intent,
                        event,
                    })
                })
                .collect()
        },
    )
}

fn is_intent(entry: &Entry) -> bool {
    matches!(
        entry.event,
        Event::ExchangeIntent { .. } | Event::OrderIntent { .. }
    )
}

fn line_of(entry: &Entry) -> String {
    serde_json::to_string(entry).expect("an entry always encodes")
}

/// A line no reader can take for an entry: it starts with a byte JSON never starts with.
fn junk_line() -> impl Strategy<Value = Vec<u8>> {
    (
        select(&[b'x', b'#', b'}', 0][..]),
        vec(
            any::<u8>().prop_filter("one line", |byte| *byte != b'\n'),
            0..64,
        ),
    )
        .prop_map(|(first, rest)| [vec![first], rest].concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn journal_replay_of_byte_soup_never_panics(
        bytes in vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'{'), Just(b'"')], 0..2048),
    ) {
        let lines = bytes.split(|byte| *byte == b'\n').count();
        let replay = journal::replay(Cursor::new(&bytes)).expect("reading memory cannot fail");
        prop_assert!(replay.damaged_lines.windows(2).all(|pair| pair[0] < pair[1]));
        prop_assert!(replay.damaged_lines.iter().all(|line| (1..=lines).contains(line)));
        prop_assert!(replay.records.len() + replay.damaged_lines.len() <= lines);
    }

    /// A crash mid-append leaves a torn last line: it is reported as damaged, and every line
    /// before it is read back exactly (amount scales included).
    #[test]
    fn journal_replay_of_a_torn_tail_reports_the_torn_line(
        entries in journal_entries(),
        cut in any::<Index>(),
    ) {
        let lines: Vec<String> = entries.iter().map(line_of).collect();
        let mut text = lines.join("\n");
        text.push('\n');
        let cut = cut.index(text.len() + 1);
        let replay = journal::replay(Cursor::new(&text.as_bytes()[..cut]))
            .expect("reading memory cannot fail");

        let mut start = 0;
        let mut complete = 0;
        let mut torn = None;
        for (number, line) in lines.iter().enumerate() {
            let end = start + line.len();
            if cut >= end {
                complete += 1;
            } else if cut > start {
                torn = Some(number + 1);
            }
            start = end + 1;
        }
        prop_assert_eq!(replay.damaged_lines, torn.into_iter().collect::<Vec<_>>());
        let expected: Vec<&String> = entries[..complete]
            .iter()
            .zip(&lines)
            .filter(|(entry, _)| is_intent(entry))
            .map(|(_, line)| line)
            .collect();
        let read: Vec<String> = replay.records.iter().map(|record| line_of(&record.opened)).collect();
        prop_assert_eq!(read.iter().collect::<Vec<_>>(), expected);
    }

    /// Junk lines anywhere are reported by number; the lines around them still count.
    #[test]
    fn journal_replay_reports_junk_lines_by_number(
        entries in journal_entries(),
        junk in vec((any::<Index>(), junk_line()), 1..4),
    ) {
        let mut lines: Vec<Vec<u8>> = entries.iter().map(|entry| line_of(entry).into_bytes()).collect();
        for (at, line) in junk {
            let at = at.index(lines.len() + 1);
            lines.insert(at, line);
        }
        let junk_numbers: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, line)| !line.starts_with(b"{"))
            .map(|(position, _)| position + 1)
            .collect();
        let replay = journal::replay(Cursor::new(lines.join(&b'\n')))
            .expect("reading memory cannot fail");
        prop_assert_eq!(replay.damaged_lines, junk_numbers);
        prop_assert_eq!(replay.records.len(), entries.iter().filter(|e| is_intent(e)).count());
    }
}

/// After a crash tore the last line, the next run appends to the same file. The first new entry
/// (an intent, written before its request is sent) must still be read back on the next replay.
#[test]
fn an_entry_appended_after_a_torn_tail_is_not_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let entries = vec![
        Entry {
            at: DateTime::<Utc>::from_timestamp_millis(1_770_000_000_000).expect("time"),
            profile: "main".to_owned(),
            environment: "sandbox".to_owned(),
            intent: "a".to_owned(),
            event: Event::Accepted {
                remote_id: "x".to_owned(),
                attempt: None,
            },
        };
        2
    ];
    let torn = line_of(&entries[0]);
    std::fs::write(&path, &torn.as_bytes()[..torn.len() / 2]).expect("write torn tail");
    let intent = Entry {
        intent: "b".to_owned(),
        event: Event::ExchangeIntent {
            from: "eth".to_owned(),
            to: "eur".to_owned(),
            amount: Decimal::new(15, 1),
            amount_to: Decimal::new(375_018, 2),
            rate: Decimal::new(250_012, 2),
            lock_id: "lock".to_owned(),
        },
        ..entries[1].clone()
    };
    Journal::open(&path)
        .expect("open")
        .append(&intent)
        .expect("append");
    let replay = journal::replay_file(&path).expect("replay");
    let intents: Vec<&str> = replay
        .records
        .iter()
        .map(|record| record.intent.as_str())
        .collect();
    assert_eq!(intents, ["b"], "damaged lines: {:?}", replay.damaged_lines);
}

// ---------------------------------------------------------------------------------------------
// The error-body classification is crate-private, so it is driven through `ApiClient` against a
// loopback stub answering with generated statuses, `Retry-After` values and bodies.

/// The key every client here sends; no error text may contain it.
const KEY: &str = "fuzz-key-5d1e";

/// What the stub answers next.
#[derive(Debug, Clone, Default)]
struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

type Shared = Arc<Mutex<Reply>>;

async fn answer(State(shared): State<Shared>) -> Response<Body> {
    let reply = shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let status = StatusCode::from_u16(reply.status).expect("generated statuses are valid");
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(value) = reply.retry_after {
        response = response.header("retry-after", value);
    }
    response
        .body(Body::from(Bytes::from(reply.body)))
        .expect("a valid response")
}

async fn start_stub(shared: Shared) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("local addr");
    let router = Router::new().fallback(answer).with_state(shared);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// 64 cases; with `PROPTEST_CASES` set, a sixteenth of it (at least 64).
fn http_config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse::<u32>().ok())
        .map_or(64, |cases| (cases / 16).max(64));
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn http_status() -> impl Strategy<Value = u16> {
    let documented = [
        200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 408, 409, 418, 422, 429, 500, 502, 503,
        504,
    ];
    prop_oneof![select(documented.to_vec()), 200u16..600]
}

/// Error bodies: P100's fields (and the fallbacks the client reads) holding anything.
fn error_body() -> impl Strategy<Value = Json> {
    let field = select(&["errorCode", "errorName", "errorMessage", "message", "error"][..]);
    let code = (
        select(&["P403", "P433", "P462", "P500", "P501", "xo2"][..]),
        vec(any::<bool>(), 1..4),
    )
        .prop_map(|(code, uppers)| Json::Text(mixed_case(code, &uppers)));
    let content = prop_oneof![
        code,
        scalar(),
        vec(scalar(), 0..4).prop_map(Json::Array),
        value(),
    ];
    vec((field.prop_map(str::to_owned), content), 0..6).prop_map(Json::Object)
}

fn http_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => vec(any::<u8>(), 0..512),
        2 => error_body().prop_map(|json| json.render().into_bytes()),
        1 => structure().prop_map(|json| json.render().into_bytes()),
        1 => text().prop_map(|text| format!("Access Denied {text} xo3").into_bytes()),
    ]
}

fn retry_after_header() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        "[0-9]{1,25}",
        "[!-~][ -~]{0,20}[!-~]",
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
    ])
}

fn settings(base_url: &str) -> ApiSettings {
    let mut settings = ApiSettings::new(base_url, SecretString::from(KEY));
    settings.connect_timeout = Duration::from_secs(2);
    settings.request_timeout = Duration::from_secs(10);
    // One request per case: the classification is under test, not the retry loop.
    settings.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    settings
}

/// The class P100-API.md and the client's docs give each status; a POST that may have been
/// applied (5xx, 408, P500, P501, an unreadable 2xx) must come back as `OutcomeUnknown`.
fn check_classification(
    status: u16,
    retry_after: Option<&str>,
    post: bool,
    result: Result<(), ApiError>,
) -> Result<(), TestCaseError> {
    let error = match result {
        Ok(()) => {
            prop_assert!((200..300).contains(&status), "Ok from HTTP {}", status);
            return Ok(());
        }
        Err(error) => error,
    };
    for shown in [
        error.to_string(),
        error.user_message(),
        error.short_reason(),
    ] {
        prop_assert!(
            !shown.chars().any(char::is_control),
            "control character: {:?}",
            shown
        );
        prop_assert!(!shown.contains(KEY), "the key leaked: {:?}", shown);
    }
    let (cause, wrapped) = match &error {
        ApiError::OutcomeUnknown { cause } => (cause.as_ref(), true),
        other => (other, false),
    };
    // P501 is transient whatever status carries it (the client reads the code first), so a
    // 3xx or 4xx with a P501 body is Transient too.
    let p501 = matches!(cause, ApiError::Transient { status: s, code: Some(code), .. }
        if *s == status && code.eq_ignore_ascii_case("P501"));
    let class_fits = match status {
        200..=299 => matches!(cause, ApiError::Decode { .. }),
        401 => matches!(cause, ApiError::Unauthorized(_)),
        429 => matches!(cause, ApiError::RateLimited { .. }),
        408 | 500..=599 => matches!(cause, ApiError::Transient { status: s, .. } if *s == status),
        400..=499 => match cause {
            ApiError::Validation { .. } => true,
            ApiError::Business { status: s, .. } => *s == status,
            _ => p501,
        },
        _ => p501 || matches!(cause, ApiError::Decode { .. }),
    };
    prop_assert!(class_fits, "HTTP {} came back as {:?}", status, error);
    let maybe_applied = matches!(cause, ApiError::Transient { .. } | ApiError::Decode { .. })
        || matches!(cause, ApiError::Business { code, .. } if code.eq_ignore_ascii_case("P500"));
    prop_assert_eq!(wrapped, post && maybe_applied, "{:?}", error);
    if let (429, Some(seconds)) = (status, retry_after)
        && seconds.bytes().all(|byte| byte.is_ascii_digit())
    {
        let asked = seconds
            .parse::<u64>()
            .map_or(LONGEST_RETRY_AFTER, Duration::from_secs);
        // The wait the client holds: what was asked, capped by the pause cap (default).
        prop_assert_eq!(
            error.retry_after(),
            Some(asked.min(LONGEST_RETRY_AFTER).min(DEFAULT_MAX_PAUSE))
        );
    }
    Ok(())
}

#[test]
fn error_bodies_over_http_are_classified_never_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let shared = Shared::default();
    let base_url = runtime.block_on(start_stub(Arc::clone(&shared)));
    let mut runner = TestRunner::new(http_config());
    let cases = (
        http_status(),
        http_body(),
        retry_after_header(),
        any::<bool>(),
    );
    let outcome = runner.run(&cases, |(status, body, retry_after, post)| {
        *shared.lock().unwrap_or_else(PoisonError::into_inner) = Reply {
            status,
            retry_after: retry_after.clone(),
            body,
        };
        // A fresh client per case: a 429 or `Retry-After` closes the client's throttle gate.
        let client = ApiClient::new(settings(&base_url)).expect("valid settings");
        let result = runtime.block_on(async {
            if post {
                let lock = serde_json::json!({"lockId": "36e19a53"});
                client
                    .post::<_, OrderCreated>("/v1/order", &lock)
                    .await
                    .map(drop)
            } else {
                client
                    .get::<OrderDetails>("/v1/order/details/x", &[])
                    .await
                    .map(drop)
            }
        });
        check_classification(status, retry_after.as_deref(), post, result)
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn retry_after_parsing_never_panics(value in prop_oneof![any::<String>(), "[0-9 ]{0,30}"]) {
        if let Some(wait) = parse_retry_after(&value, SystemTime::now()) {
            prop_assert!(wait <= LONGEST_RETRY_AFTER);
        }
    }
}
