//! Order rules: indicative rates, order rate locks, creating an order from a lock, and the
//! order lifecycle with its simulated payer:
//! `WAITING_FOR_WALLET_ADDRESS` -> `WAITING_FOR_PAYMENT` -> `WAITING_FOR_CONFIRMATION`
//! (confirmations count up) -> `COMPLETED`; or `PARTIALLY_PAID` -> `EXPIRED` (underpayment);
//! or `EXPIRED` (no payment).

use rand::Rng;
use rust_decimal::{Decimal, RoundingStrategy};
use tokio::time::Instant;

use super::currency::{scale, used_decimals};
use super::engine::{PayerScript, Rejection, World, new_id};
use super::ledger::{HistoryRow, TxStatus, TxType};
use super::pricing::{crypto_for_fiat, eur_value, order_rate};

/// Sandbox choice: every network needs three confirmations.
pub const REQUIRED_CONFIRMATIONS: u32 = 3;
/// Orders settle into this fiat currency.
pub const SETTLEMENT_CURRENCY: &str = "eur";

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    WaitingForWalletAddress,
    WaitingForPayment,
    PartiallyPaid,
    WaitingForConfirmation,
    Completed,
    Expired,
    /// Part of the documented vocabulary; the sandbox never produces it on its own.
    Failed,
}

impl OrderStatus {
    /// The status as the details endpoint writes it.
    pub fn wire(self) -> &'static str {
        match self {
            Self::WaitingForWalletAddress => "WAITING_FOR_WALLET_ADDRESS",
            Self::WaitingForPayment => "WAITING_FOR_PAYMENT",
            Self::PartiallyPaid => "PARTIALLY_PAID",
            Self::WaitingForConfirmation => "WAITING_FOR_CONFIRMATION",
            Self::Completed => "COMPLETED",
            Self::Expired => "EXPIRED",
            Self::Failed => "FAILED",
        }
    }
}

/// One row of `GET /v1/order/rates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRate {
    pub currency: String,
    pub network: String,
    pub rate: Decimal,
}

/// A locked order rate, usable once before `expires_at`.
#[derive(Debug, Clone)]
pub struct OrderLock {
    pub id: String,
    pub crypto: String,
    pub network: String,
    /// The EUR to settle.
    pub fiat_amount: Decimal,
    /// The crypto the payer must send.
    pub crypto_amount: Decimal,
    pub rate: Decimal,
    pub expires_at: Instant,
    pub used: bool,
}

/// An order and its simulated payer.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub seq: u64,
    pub lock_id: String,
    pub crypto: String,
    pub network: String,
    pub fiat_amount: Decimal,
    pub total_required: Decimal,
    pub received: Decimal,
    pub status: OrderStatus,
    pub created_at: Instant,
    /// Sandbox choice: the payment deadline, shown as `expiresAt` while payment is awaited
    /// (and kept once EXPIRED); `null` before the address exists and once fully paid, as the
    /// documented `WAITING_FOR_CONFIRMATION` example shows.
    pub payment_deadline: Option<Instant>,
    pub confirmations: u32,
    pub wallet: Option<String>,
    pub tx_hash: Option<String>,
    pub payer: PayerScript,
    pub due: Option<Instant>,
    pub transitions: Vec<OrderStatus>,
}

impl Order {
    /// `expiresAt` as the details endpoint shows it.
    pub fn shown_expiry(&self) -> Option<Instant> {
        match self.status {
            OrderStatus::WaitingForPayment | OrderStatus::PartiallyPaid | OrderStatus::Expired => {
                self.payment_deadline
            }
            _ => None,
        }
    }
}

impl World {
    /// The current rate of every crypto on every network it can be paid on.
    pub fn order_rates(&self, now: Instant) -> Vec<OrderRate> {
        let elapsed = self.clock.elapsed(now);
        let mut rates = Vec::new();
        for account in self.ledger.accounts().iter().filter(|a| a.is_crypto()) {
            let Some(value) = eur_value(&self.ledger, &account.name, elapsed) else {
                continue;
            };
            for network in account.networks() {
                rates.push(OrderRate {
                    currency: account.name.clone(),
                    network,
                    rate: order_rate(value),
                });
            }
        }
        rates
    }

    /// Locks the rate for an order settling `fiat_amount` EUR, paid in `crypto` on `network`.
    pub fn lock_order(
        &mut self,
        crypto: &str,
        network: &str,
        fiat_amount: Decimal,
        now: Instant,
    ) -> Result<OrderLock, Rejection> {
        let account = self
            .ledger
            .account(crypto)
            .filter(|_| scale(crypto).is_some())
            .ok_or_else(|| Rejection::UnknownCurrency(crypto.to_owned()))?;
        if !account.is_crypto() {
            return Err(Rejection::invalid(format!(
                "currency {crypto} is not a cryptocurrency"
            )));
        }
        let networks = account.networks();
        let mut problems = Vec::new();
        if !networks.iter().any(|known| known == network) {
            problems.push(format!(
                "network {network} is not available for {crypto} (available: {})",
                networks.join(", ")
            ));
        }
        if fiat_amount <= Decimal::ZERO {
            problems.push("amount must be greater than 0".to_owned());
        } else if used_decimals(fiat_amount) > 2 {
            problems.push("amount must have at most 2 decimals".to_owned());
        }
        if !problems.is_empty() {
            return Err(Rejection::Invalid(problems));
        }
        let crypto_scale = scale(crypto).unwrap_or(0);
        let value = eur_value(&self.ledger, crypto, self.clock.elapsed(now))
            .ok_or_else(|| Rejection::invalid(format!("no rate for {crypto}")))?;
        let rate = order_rate(value);
        let crypto_amount = crypto_for_fiat(fiat_amount, rate, crypto_scale)
            .ok_or_else(|| Rejection::invalid(format!("no rate for {crypto}")))?;
        let lock = OrderLock {
            id: new_id(),
            crypto: crypto.to_owned(),
            network: network.to_owned(),
            fiat_amount,
            crypto_amount,
            rate,
            expires_at: now + self.timing.lock_ttl,
            used: false,
        };
        self.order_locks.insert(lock.id.clone(), lock.clone());
        Ok(lock)
    }

    /// Creates an order from a valid, unused lock. Sandbox choice: a PENDING ORDER history
    /// row (settlement currency, fiat amount, id = order id) appears at once.
    pub fn create_order(&mut self, lock_id: &str, now: Instant) -> Result<String, Rejection> {
        let lock = match self.order_locks.get(lock_id) {
            None => {
                return Err(Rejection::InvalidOrderLock(format!(
                    "lock {lock_id} is unknown"
                )));
            }
            Some(lock) if lock.used => {
                return Err(Rejection::InvalidOrderLock(format!(
                    "lock {lock_id} has already been used"
                )));
            }
            Some(lock) if now >= lock.expires_at => {
                self.executions.expired_lock_posts += 1;
                return Err(Rejection::InvalidOrderLock(format!(
                    "lock {lock_id} has expired"
                )));
            }
            Some(lock) => lock.clone(),
        };
        if let Some(stored) = self.order_locks.get_mut(lock_id) {
            stored.used = true;
        }
        let id = new_id();
        let seq = self.next_seq();
        let payer = self.take_payer();
        let first_step = self.timing.step(&mut self.rng);
        self.ledger.push_row(HistoryRow {
            id: id.clone(),
            kind: TxType::Order,
            status: TxStatus::Pending,
            amount: lock.fiat_amount,
            currency: SETTLEMENT_CURRENCY.to_owned(),
            created_at: self.clock.wall(now),
            description: Some(format!(
                "Order paid in {} {} on {}",
                lock.crypto_amount, lock.crypto, lock.network
            )),
            counter: None,
        });
        self.orders.insert(
            id.clone(),
            Order {
                id: id.clone(),
                seq,
                lock_id: lock.id,
                crypto: lock.crypto,
                network: lock.network,
                fiat_amount: lock.fiat_amount,
                total_required: lock.crypto_amount,
                received: Decimal::ZERO,
                status: OrderStatus::WaitingForWalletAddress,
                created_at: now,
                payment_deadline: None,
                confirmations: 0,
                wallet: None,
                tx_hash: None,
                payer,
                due: Some(now + first_step),
                transitions: vec![OrderStatus::WaitingForWalletAddress],
            },
        );
        self.executions.orders += 1;
        Ok(id)
    }

    /// One lifecycle transition of order `id`.
    pub(super) fn step_order(&mut self, id: &str, now: Instant) {
        let Some(mut order) = self.orders.get(id).cloned() else {
            return;
        };
        let step = self.timing.step(&mut self.rng);
        let deadline_passed = order.payment_deadline.is_some_and(|at| now >= at);
        match order.status {
            OrderStatus::WaitingForWalletAddress => {
                order.wallet = Some(self.wallet_address(&order.network));
                order.status = OrderStatus::WaitingForPayment;
                let deadline = now + self.timing.payment_window;
                order.payment_deadline = Some(deadline);
                order.due = Some(match order.payer {
                    PayerScript::NeverPay => deadline,
                    PayerScript::PayInFull | PayerScript::Underpay => (now + step).min(deadline),
                });
            }
            OrderStatus::WaitingForPayment | OrderStatus::PartiallyPaid if deadline_passed => {
                order.status = OrderStatus::Expired;
                order.due = None;
            }
            OrderStatus::WaitingForPayment => {
                order.tx_hash = Some(self.transaction_hash(&order.network));
                if order.payer == PayerScript::Underpay {
                    order.received = self.partial_amount(&order);
                    order.status = OrderStatus::PartiallyPaid;
                    order.due = order.payment_deadline;
                } else {
                    order.received = order.total_required;
                    order.status = OrderStatus::WaitingForConfirmation;
                    order.due = Some(now + step);
                }
            }
            OrderStatus::WaitingForConfirmation => {
                order.confirmations += 1;
                if order.confirmations >= REQUIRED_CONFIRMATIONS {
                    order.status = OrderStatus::Completed;
                    order.due = None;
                    self.ledger.credit(SETTLEMENT_CURRENCY, order.fiat_amount);
                } else {
                    order.due = Some(now + step);
                }
            }
            OrderStatus::PartiallyPaid => order.due = order.payment_deadline,
            OrderStatus::Completed | OrderStatus::Expired | OrderStatus::Failed => {
                order.due = None;
            }
        }
        let row_status = match order.status {
            OrderStatus::Completed => Some(TxStatus::Successful),
            OrderStatus::Expired | OrderStatus::Failed => Some(TxStatus::Failed),
            _ => None,
        };
        if let Some(row_status) = row_status {
            self.ledger.set_row_status(id, row_status);
        }
        if order.transitions.last() != Some(&order.status) {
            order.transitions.push(order.status);
        }
        self.orders.insert(id.to_owned(), order);
    }

    /// 60-95 % of the required amount, rounded down to the crypto's scale.
    fn partial_amount(&mut self, order: &Order) -> Decimal {
        let percent = Decimal::from(self.rng.random_range(60..=95u32)) / Decimal::ONE_HUNDRED;
        (order.total_required * percent)
            .round_dp_with_strategy(scale(&order.crypto).unwrap_or(0), RoundingStrategy::ToZero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::currency::parse_decimal;
    use crate::sandbox::seed::test_world;
    use std::time::Duration;

    fn dec(text: &str) -> Decimal {
        parse_decimal(text).expect("valid decimal")
    }

    fn run_out(world: &mut World, mut now: Instant) {
        while let Some(due) = world.next_due() {
            now = now.max(due);
            world.advance(now);
        }
    }

    fn order_with(world: &mut World, payer: PayerScript, now: Instant) -> String {
        world.queue_payer(payer);
        let lock = world
            .lock_order("usdc", "polygon", dec("346.59"), now)
            .expect("lock");
        world.create_order(&lock.id, now).expect("order")
    }

    #[test]
    fn a_paid_order_walks_every_status_and_credits_eur() {
        let now = Instant::now();
        let mut world = test_world(now);
        let eur_before = world.ledger.balance("eur").expect("eur");
        let id = order_with(&mut world, PayerScript::PayInFull, now);
        run_out(&mut world, now);
        let order = world.orders.get(&id).expect("order");
        assert_eq!(
            order.transitions,
            [
                OrderStatus::WaitingForWalletAddress,
                OrderStatus::WaitingForPayment,
                OrderStatus::WaitingForConfirmation,
                OrderStatus::Completed
            ]
        );
        assert_eq!(order.confirmations, REQUIRED_CONFIRMATIONS);
        assert_eq!(order.received, order.total_required);
        let wallet = order.wallet.clone().expect("wallet");
        assert!(wallet.starts_with("0x") && wallet.len() == 42, "{wallet}");
        assert_eq!(order.shown_expiry(), None);
        assert_eq!(
            world.ledger.balance("eur"),
            Some(eur_before + dec("346.59"))
        );
        assert_eq!(
            world.ledger.row(&id).map(|row| row.status),
            Some(TxStatus::Successful)
        );
    }

    #[test]
    fn underpaid_and_unpaid_orders_expire_without_credit() {
        let now = Instant::now();
        let mut world = test_world(now);
        let eur_before = world.ledger.balance("eur").expect("eur");
        let partial = order_with(&mut world, PayerScript::Underpay, now);
        let unpaid = order_with(&mut world, PayerScript::NeverPay, now);
        run_out(&mut world, now);
        let partial = world.orders.get(&partial).expect("order");
        assert_eq!(
            partial.transitions,
            [
                OrderStatus::WaitingForWalletAddress,
                OrderStatus::WaitingForPayment,
                OrderStatus::PartiallyPaid,
                OrderStatus::Expired
            ]
        );
        assert!(partial.received > Decimal::ZERO && partial.received < partial.total_required);
        let unpaid = world.orders.get(&unpaid).expect("order");
        assert_eq!(unpaid.status, OrderStatus::Expired);
        assert_eq!(unpaid.received, Decimal::ZERO);
        assert!(unpaid.shown_expiry().is_some());
        assert_eq!(world.ledger.balance("eur"), Some(eur_before));
        assert_eq!(
            world.ledger.row(&unpaid.id).map(|row| row.status),
            Some(TxStatus::Failed)
        );
    }

    #[test]
    fn order_locks_are_checked() {
        let now = Instant::now();
        let mut world = test_world(now);
        assert!(matches!(
            world.lock_order("usdc", "bitcoin", dec("10"), now),
            Err(Rejection::Invalid(p)) if p[0].contains("network bitcoin")
        ));
        assert!(matches!(
            world.lock_order("nope", "polygon", dec("10"), now),
            Err(Rejection::UnknownCurrency(_))
        ));
        assert!(matches!(
            world.lock_order("eur", "polygon", dec("10"), now),
            Err(Rejection::Invalid(_))
        ));
        let lock = world
            .lock_order("btc", "bitcoin", dec("100"), now)
            .expect("lock");
        assert!(lock.crypto_amount * lock.rate >= dec("100"));
        let late = now + world.timing.lock_ttl + Duration::from_millis(1);
        assert!(matches!(
            world.create_order(&lock.id, late),
            Err(Rejection::InvalidOrderLock(m)) if m.contains("expired")
        ));
        assert!(world.create_order(&lock.id, now).is_ok());
        assert!(matches!(
            world.create_order(&lock.id, now),
            Err(Rejection::InvalidOrderLock(m)) if m.contains("already been used")
        ));
        assert!(matches!(
            world.create_order("missing", now),
            Err(Rejection::InvalidOrderLock(_))
        ));
        assert_eq!(world.executions.orders, 1);
    }

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let now = Instant::now();
        let run = || {
            let mut world = test_world(now);
            let ids: Vec<String> = (0..5)
                .map(|_| {
                    let lock = world
                        .lock_order("usdt", "tron", dec("50"), now)
                        .expect("lock");
                    world.create_order(&lock.id, now).expect("order")
                })
                .collect();
            run_out(&mut world, now);
            ids.iter()
                .map(|id| {
                    let order = world.orders.get(id).expect("order");
                    (order.status, order.wallet.clone(), order.received)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn every_crypto_network_has_a_rate() {
        let now = Instant::now();
        let world = test_world(now);
        let rates = world.order_rates(now);
        assert!(
            rates
                .iter()
                .any(|r| r.currency == "usdc" && r.network == "polygon")
        );
        assert!(
            rates
                .iter()
                .any(|r| r.currency == "btc" && r.network == "bitcoin")
        );
        assert!(rates.iter().all(|r| r.rate > Decimal::ZERO));
    }
}
