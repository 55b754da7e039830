//! Generates `assets/sandbox-seed.json` deterministically (test-only code).
//!
//! Regenerate after changing this file with
//! `cargo test --lib sandbox::seed_gen -- --ignored`; the normal test run checks the
//! committed file still equals what this generator produces.

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use super::currency::{amount_string, json_number, parse_decimal, round_significant, scale};
use super::pricing::convert;

const HISTORY_ROWS: usize = 300;
const GENERATOR_SEED: u64 = 2025;

/// (name, balance, EUR value, wallet?, [(network, testnet name, fee, min withdrawal, min deposit)])
type CryptoSeed = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )],
);

const CRYPTOS: &[CryptoSeed] = &[
    (
        "usdc",
        "48250.5",
        "0.86",
        true,
        &[
            ("polygon", "amoy", "10", "15", "5"),
            ("ethereum", "sepolia", "25", "50", "20"),
        ],
    ),
    (
        "usdt",
        "31200",
        "0.86",
        true,
        &[
            ("tron", "nile", "2", "10", "5"),
            ("ethereum", "sepolia", "25", "50", "20"),
        ],
    ),
    (
        "btc",
        "1.8421",
        "58000",
        true,
        &[("bitcoin", "testnet", "0.0002", "0.001", "0.0001")],
    ),
    (
        "eth",
        "24.513",
        "2300",
        true,
        &[("ethereum", "sepolia", "0.003", "0.01", "0.005")],
    ),
    (
        "ltc",
        "0",
        "62",
        false,
        &[("litecoin", "testnet", "0.01", "0.1", "0.05")],
    ),
    (
        "doge",
        "0",
        "0.09",
        false,
        &[("dogecoin", "testnet", "5", "50", "20")],
    ),
    (
        "pol",
        "1500",
        "0.21",
        true,
        &[("polygon", "amoy", "0.1", "1", "1")],
    ),
    (
        "eurt",
        "0",
        "0.99",
        false,
        &[("ethereum", "sepolia", "25", "50", "20")],
    ),
];

fn dec(text: &str) -> Decimal {
    parse_decimal(text).expect("generator constants are decimals")
}

fn uuid(rng: &mut StdRng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// A deposit address in the usual shape of `network` (testnet prefixes).
fn address(rng: &mut StdRng, network: &str) -> String {
    const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    const BECH32: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let mut pick = |alphabet: &[u8], count: usize| -> String {
        (0..count)
            .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
            .collect()
    };
    match network {
        "bitcoin" => format!("tb1q{}", pick(BECH32, 38)),
        "tron" => format!("T{}", pick(BASE58, 33)),
        _ => format!("0x{}", pick(b"0123456789abcdef", 40)),
    }
}

fn value_of(name: &str) -> Decimal {
    CRYPTOS
        .iter()
        .find(|c| c.0 == name)
        .map_or(Decimal::ONE, |c| dec(c.2))
}

/// A random amount of `currency` worth `min..=max` whole EUR, at a realistic precision.
fn amount_worth(rng: &mut StdRng, currency: &str, min: u32, max: u32) -> Decimal {
    let cents = Decimal::new(i64::from(rng.random_range(min * 100..=max * 100)), 2);
    let digits = scale(currency).expect("known currency").min(8);
    round_significant(cents / value_of(currency), 6)
        .round_dp_with_strategy(digits, RoundingStrategy::ToZero)
}

fn generate() -> String {
    let mut rng = StdRng::seed_from_u64(GENERATOR_SEED);
    let fiat = vec![
        json!({"id": uuid(&mut rng), "name": "eur", "amount": "184250.37", "rate": "1",
               "iban": "LT713130019950012345", "status": "ACTIVE"}),
        json!({"id": uuid(&mut rng), "name": "gbp", "amount": "0.00", "rate": "1.17",
               "iban": null, "status": "WAITING_TO_BE_ACTIVATED"}),
    ];
    let mut crypto = Vec::new();
    for (name, amount, rate, has_wallet, networks) in CRYPTOS {
        let mut config = Map::new();
        for (network, testnet, fee, min_withdrawal, min_deposit) in *networks {
            config.insert(
                (*network).to_owned(),
                json!({"mainnet": false, "name": testnet,
                       "withdrawal": {"feeWithdrawal": json_number(dec(fee)),
                                      "minWithdrawal": json_number(dec(min_withdrawal))},
                       "deposit": {"minDeposit": json_number(dec(min_deposit))}}),
            );
        }
        let wallet = if *has_wallet {
            Value::String(address(&mut rng, networks[0].0))
        } else {
            Value::Null
        };
        let scale = scale(name).expect("known currency");
        crypto.push(json!({"id": uuid(&mut rng), "name": name,
            "amount": amount_string(dec(amount), scale), "rate": rate,
            "wallet": wallet, "networkConfig": config}));
    }
    let mut transactions = Vec::new();
    let mut age: i64 = 0;
    for _ in 0..HISTORY_ROWS {
        age += rng.random_range(300..=72_000);
        transactions.push(history_row(&mut rng, age));
    }
    let file = json!({
        "generatedBy": "src/sandbox/seed_gen.rs; regenerate with `cargo test --lib sandbox::seed_gen -- --ignored`",
        "fiatBalances": fiat,
        "cryptoBalances": crypto,
        "transactions": transactions,
    });
    let mut text = serde_json::to_string_pretty(&file).expect("json serializes");
    text.push('\n');
    text
}

const PAIRS: &[(&str, &str)] = &[
    ("usdc", "eur"),
    ("eur", "usdc"),
    ("usdt", "eur"),
    ("btc", "eur"),
    ("eth", "eur"),
    ("eur", "btc"),
    ("eur", "eth"),
    ("usdc", "usdt"),
];
const PAYERS: &[&str] = &["Nordwind GmbH", "Baltic Freight UAB", "Oranje Retail BV"];
const CRYPTO_NETWORKS: &[(&str, &str)] = &[
    ("usdc", "polygon"),
    ("usdc", "ethereum"),
    ("usdt", "tron"),
    ("btc", "bitcoin"),
    ("eth", "ethereum"),
];

/// A row's type, currency, amount and description.
type Entry = (&'static str, &'static str, Decimal, String);

fn history_row(rng: &mut StdRng, age: i64) -> Value {
    let id = uuid(rng);
    let status = if rng.random_range(0..100) < 6 {
        "FAILED"
    } else {
        "SUCCESSFUL"
    };
    let roll = rng.random_range(0..100);
    let mut row = json!({"id": id, "status": status, "ageSeconds": age});
    let (kind, currency, amount, description) = match roll {
        0..30 => exchange_entry(rng, &mut row),
        30..50 => {
            let (crypto, network) = CRYPTO_NETWORKS[rng.random_range(0..CRYPTO_NETWORKS.len())];
            let amount = amount_worth(rng, "eur", 50, 5_000);
            let paid = amount_worth(rng, crypto, 50, 5_000);
            (
                "ORDER",
                "eur",
                amount,
                format!("Order paid in {paid} {crypto} on {network}"),
            )
        }
        _ => transfer_entry(rng, roll),
    };
    row["type"] = json!(kind);
    row["currency"] = json!(currency);
    row["amount"] = json!(amount_string(
        amount,
        scale(currency).expect("known currency")
    ));
    // About one row in five has no description: the field is optional on the wire.
    if rng.random_range(0..5) != 0 {
        row["description"] = json!(description);
    }
    row
}

/// An exchange at a historical rate (the seeded value +-3 %, 0.5 % spread), the documented
/// 1.49 % fee deducted from what was received, as on a live exchange.
fn exchange_entry(rng: &mut StdRng, row: &mut Value) -> Entry {
    let (from, to) = PAIRS[rng.random_range(0..PAIRS.len())];
    let amount = amount_worth(rng, from, 500, 25_000);
    let wobble = Decimal::from(rng.random_range(970..=1030)) / Decimal::from(1000);
    let rate = round_significant(value_of(from) / value_of(to) * wobble * dec("0.995"), 8);
    let to_scale = scale(to).expect("known currency");
    let amount_to = convert(amount, rate, to_scale).expect("a seeded exchange is priced");
    row["currencyTo"] = json!(to);
    row["amountTo"] = json!(amount_string(amount_to, to_scale));
    ("EXCHANGE", from, amount, format!("Exchange {from} to {to}"))
}

/// Money in and out: SEPA, crypto deposits and withdrawals, internal transfers.
fn transfer_entry(rng: &mut StdRng, roll: u32) -> Entry {
    match roll {
        50..62 => {
            let payer = PAYERS[rng.random_range(0..PAYERS.len())];
            let amount = amount_worth(rng, "eur", 1_000, 50_000);
            (
                "SEPA_DEPOSIT",
                "eur",
                amount,
                format!("SEPA deposit from {payer}"),
            )
        }
        62..74 => {
            let amount = amount_worth(rng, "eur", 500, 20_000);
            let reference = rng.random_range(10_000..100_000);
            (
                "SEPA_TRANSFER",
                "eur",
                amount,
                format!("SEPA transfer, invoice {reference}"),
            )
        }
        74..94 => {
            let (crypto, network) = CRYPTO_NETWORKS[rng.random_range(0..CRYPTO_NETWORKS.len())];
            let amount = amount_worth(rng, crypto, 200, 20_000);
            if roll < 84 {
                (
                    "CRYPTO_DEPOSIT",
                    crypto,
                    amount,
                    format!("Deposit on {network}"),
                )
            } else {
                (
                    "CRYPTO_WITHDRAWAL",
                    crypto,
                    amount,
                    format!("Withdrawal on {network}"),
                )
            }
        }
        _ => {
            let amount = amount_worth(rng, "eur", 100, 5_000);
            (
                "TRANSFER",
                "eur",
                amount,
                "Transfer to a sub-account".to_owned(),
            )
        }
    }
}

#[test]
fn the_committed_seed_equals_the_generator_output() {
    assert!(
        super::seed::SEED_JSON == generate(),
        "assets/sandbox-seed.json is stale: run `cargo test --lib sandbox::seed_gen -- --ignored`"
    );
}

#[test]
#[ignore = "writes assets/sandbox-seed.json; run by hand after changing the generator"]
fn regenerate_seed_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sandbox-seed.json");
    std::fs::write(path, generate()).expect("seed file written");
}
