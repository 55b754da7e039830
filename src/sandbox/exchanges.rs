//! Currency exchange rules: quotes, rate locks, executing a locked exchange, and the queue
//! lifecycle PENDING -> PROCESSING -> COMPLETED, or FAILED with P433 when the from-balance is
//! short at processing time (the POST itself never checks the balance: a 2xx only means
//! "queued", as documented).

use rust_decimal::Decimal;
use tokio::time::Instant;

use super::currency::{scale, used_decimals};
use super::engine::{Rejection, World, new_id};
use super::ledger::{Account, HistoryRow, TxStatus, TxType};
use super::pricing::{Quote, convert, eur_value, exchange_rate};

/// Where a queued exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeStatus {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl ExchangeStatus {
    /// The status as the details endpoint writes it.
    pub fn wire(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }
}

/// A locked exchange rate, usable once before `expires_at`.
#[derive(Debug, Clone)]
pub struct ExchangeLock {
    pub id: String,
    pub quote: Quote,
    pub expires_at: Instant,
    pub used: bool,
}

/// A queued exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub id: String,
    pub seq: u64,
    pub quote: Quote,
    pub status: ExchangeStatus,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// `(errorCode, errorMessage)` once FAILED.
    pub error: Option<(String, String)>,
    /// When the next transition happens; `None` once final.
    pub due: Option<Instant>,
    /// Every status it has been in, in order (for tests).
    pub transitions: Vec<ExchangeStatus>,
}

/// The fields of `POST /v1/partner/exchange`, already parsed.
#[derive(Debug, Clone)]
pub struct ExchangeRequest {
    pub lock_id: String,
    pub from: String,
    pub to: String,
    pub amount: Decimal,
}

impl World {
    /// Prices `amount` of `from` in `to` at the current (drifting) rate.
    pub fn quote(
        &self,
        from: &str,
        to: &str,
        amount: Decimal,
        now: Instant,
    ) -> Result<Quote, Rejection> {
        let (from_scale, to_scale) = self.check_pair(from, to)?;
        if amount <= Decimal::ZERO {
            return Err(Rejection::invalid("amount must be greater than 0"));
        }
        if used_decimals(amount) > from_scale {
            // The documented P403 wording ("Amount can have at most 8 decimal places").
            return Err(Rejection::invalid(format!(
                "Amount can have at most {from_scale} decimal places"
            )));
        }
        let elapsed = self.clock.elapsed(now);
        let rate = eur_value(&self.ledger, from, elapsed)
            .zip(eur_value(&self.ledger, to, elapsed))
            .and_then(|(from_value, to_value)| exchange_rate(from_value, to_value))
            .ok_or_else(|| Rejection::invalid(format!("no rate for {from} to {to}")))?;
        let amount_to = convert(amount, rate, to_scale)
            .filter(|amount_to| *amount_to > Decimal::ZERO)
            .ok_or_else(|| Rejection::invalid(format!("amount is too small to buy any {to}")))?;
        Ok(Quote {
            from: from.to_owned(),
            to: to.to_owned(),
            amount,
            rate,
            amount_to,
        })
    }

    /// Locks the current rate for `timing.lock_ttl`.
    pub fn lock_exchange(
        &mut self,
        from: &str,
        to: &str,
        amount: Decimal,
        now: Instant,
    ) -> Result<ExchangeLock, Rejection> {
        let quote = self.quote(from, to, amount, now)?;
        let lock = ExchangeLock {
            id: new_id(),
            quote,
            expires_at: now + self.timing.lock_ttl,
            used: false,
        };
        self.exchange_locks.insert(lock.id.clone(), lock.clone());
        Ok(lock)
    }

    /// Queues the exchange of a valid, unused lock whose terms match the request. Adds a
    /// PENDING history row at once and returns the new exchange id.
    pub fn execute_exchange(
        &mut self,
        request: &ExchangeRequest,
        now: Instant,
    ) -> Result<String, Rejection> {
        for currency in [&request.from, &request.to] {
            if scale(currency).is_none() || self.ledger.account(currency).is_none() {
                return Err(Rejection::UnknownCurrency(currency.clone()));
            }
        }
        let lock = self
            .exchange_locks
            .get(&request.lock_id)
            .ok_or_else(|| Rejection::invalid(format!("lockId {} is unknown", request.lock_id)))?;
        let problems = lock_problems(lock, request, now);
        if now >= lock.expires_at {
            self.executions.expired_lock_posts += 1;
        }
        if !problems.is_empty() {
            return Err(Rejection::Invalid(problems));
        }
        let quote = lock.quote.clone();
        if let Some(lock) = self.exchange_locks.get_mut(&request.lock_id) {
            lock.used = true;
        }

        let id = new_id();
        let seq = self.next_seq();
        let first_step = self.timing.step(&mut self.rng);
        self.ledger.push_row(HistoryRow {
            id: id.clone(),
            kind: TxType::Exchange,
            status: TxStatus::Pending,
            amount: quote.amount,
            currency: quote.from.clone(),
            created_at: self.clock.wall(now),
            description: Some(format!("Exchange {} to {}", quote.from, quote.to)),
            counter: Some((quote.to.clone(), quote.amount_to)),
        });
        self.exchanges.insert(
            id.clone(),
            Exchange {
                id: id.clone(),
                seq,
                quote,
                status: ExchangeStatus::Pending,
                created_at: now,
                updated_at: now,
                error: None,
                due: Some(now + first_step),
                transitions: vec![ExchangeStatus::Pending],
            },
        );
        self.executions.exchanges += 1;
        Ok(id)
    }

    /// One queue transition of exchange `id`.
    pub(super) fn step_exchange(&mut self, id: &str, now: Instant) {
        let Some(exchange) = self.exchanges.get(id) else {
            return;
        };
        let quote = exchange.quote.clone();
        let (status, error, due) = match exchange.status {
            ExchangeStatus::Pending => {
                let step = self.timing.step(&mut self.rng);
                (ExchangeStatus::Processing, None, Some(now + step))
            }
            ExchangeStatus::Processing => {
                match self
                    .ledger
                    .exchange(&quote.from, quote.amount, &quote.to, quote.amount_to)
                {
                    Ok(()) => (ExchangeStatus::Completed, None, None),
                    Err(short) => {
                        let message = format!(
                            "insufficient-funds: {} balance {} is below the required {}",
                            quote.from, short.available, short.required
                        );
                        (ExchangeStatus::Failed, Some(("P433".into(), message)), None)
                    }
                }
            }
            ExchangeStatus::Completed | ExchangeStatus::Failed => return,
        };
        let row_status = match status {
            ExchangeStatus::Completed => Some(TxStatus::Successful),
            ExchangeStatus::Failed => Some(TxStatus::Failed),
            ExchangeStatus::Pending | ExchangeStatus::Processing => None,
        };
        if let Some(row_status) = row_status {
            self.ledger.set_row_status(id, row_status);
        }
        if let Some(exchange) = self.exchanges.get_mut(id) {
            exchange.status = status;
            exchange.error = error;
            exchange.due = due;
            exchange.updated_at = now;
            exchange.transitions.push(status);
        }
    }

    /// Both currencies known, different, and usable; returns their scales.
    fn check_pair(&self, from: &str, to: &str) -> Result<(u32, u32), Rejection> {
        let mut scales = [0u32; 2];
        for (slot, currency) in scales.iter_mut().zip([from, to]) {
            let account = self.ledger.account(currency);
            *slot = scale(currency)
                .filter(|_| account.is_some())
                .ok_or_else(|| Rejection::UnknownCurrency(currency.to_owned()))?;
            if let Some(status) = account.and_then(Account::inactive_status) {
                return Err(Rejection::invalid(format!(
                    "the {currency} account is {}",
                    status.wire()
                )));
            }
        }
        if from == to {
            return Err(Rejection::invalid(
                "currencyFrom and currencyTo must differ",
            ));
        }
        Ok((scales[0], scales[1]))
    }
}

/// Every reason `lock` cannot execute `request` (empty when it can).
fn lock_problems(lock: &ExchangeLock, request: &ExchangeRequest, now: Instant) -> Vec<String> {
    let mut problems = Vec::new();
    if lock.used {
        problems.push(format!("lockId {} has already been used", lock.id));
    }
    if now >= lock.expires_at {
        problems.push(format!("lockId {} has expired", lock.id));
    }
    if request.amount != lock.quote.amount {
        problems.push(format!(
            "amount {} does not match the locked amount {}",
            request.amount, lock.quote.amount
        ));
    }
    if request.from != lock.quote.from {
        problems.push(format!(
            "currencyFrom {} does not match the lock ({})",
            request.from, lock.quote.from
        ));
    }
    if request.to != lock.quote.to {
        problems.push(format!(
            "currencyTo {} does not match the lock ({})",
            request.to, lock.quote.to
        ));
    }
    problems
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

    fn request(lock: &ExchangeLock) -> ExchangeRequest {
        ExchangeRequest {
            lock_id: lock.id.clone(),
            from: lock.quote.from.clone(),
            to: lock.quote.to.clone(),
            amount: lock.quote.amount,
        }
    }

    /// Steps the world until nothing is due, returning the final time.
    fn run_out(world: &mut World, mut now: Instant) -> Instant {
        while let Some(due) = world.next_due() {
            now = now.max(due);
            world.advance(now);
        }
        now
    }

    #[test]
    fn a_locked_exchange_completes_and_moves_balances() {
        let now = Instant::now();
        let mut world = test_world(now);
        let eth_before = world.ledger.balance("eth").expect("eth");
        let eur_before = world.ledger.balance("eur").expect("eur");
        let lock = world
            .lock_exchange("eth", "eur", dec("1.5"), now)
            .expect("lock");
        let id = world
            .execute_exchange(&request(&lock), now)
            .expect("queued");
        assert_eq!(
            world.ledger.row(&id).map(|row| row.status),
            Some(TxStatus::Pending)
        );
        run_out(&mut world, now);
        let exchange = world.exchanges.get(&id).expect("exchange");
        assert_eq!(
            exchange.transitions,
            [
                ExchangeStatus::Pending,
                ExchangeStatus::Processing,
                ExchangeStatus::Completed
            ]
        );
        assert_eq!(world.ledger.balance("eth"), Some(eth_before - dec("1.5")));
        assert_eq!(
            world.ledger.balance("eur"),
            Some(eur_before + lock.quote.amount_to)
        );
        assert_eq!(
            world.ledger.row(&id).map(|row| row.status),
            Some(TxStatus::Successful)
        );
        assert_eq!(world.executions.exchanges, 1);
    }

    #[test]
    fn a_short_balance_fails_late_with_p433() {
        let now = Instant::now();
        let mut world = test_world(now);
        let lock = world
            .lock_exchange("btc", "eur", dec("0.5"), now)
            .expect("lock");
        let id = world
            .execute_exchange(&request(&lock), now)
            .expect("queued");
        world.ledger.set_balance("btc", dec("0.1"));
        run_out(&mut world, now);
        let exchange = world.exchanges.get(&id).expect("exchange");
        assert_eq!(exchange.status, ExchangeStatus::Failed);
        assert_eq!(exchange.error.as_ref().map(|e| e.0.as_str()), Some("P433"));
        assert_eq!(world.ledger.balance("btc"), Some(dec("0.1")));
        assert_eq!(
            world.ledger.row(&id).map(|row| row.status),
            Some(TxStatus::Failed)
        );
    }

    #[test]
    fn locks_are_single_use_expiring_and_binding() {
        let now = Instant::now();
        let mut world = test_world(now);
        let lock = world
            .lock_exchange("usdc", "eur", dec("100"), now)
            .expect("lock");
        let mut changed = request(&lock);
        changed.amount = dec("101");
        changed.to = "btc".into();
        let Err(Rejection::Invalid(problems)) = world.execute_exchange(&changed, now) else {
            panic!("mismatch must be rejected");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(world.execute_exchange(&request(&lock), now).is_ok());
        let again = world.execute_exchange(&request(&lock), now);
        assert!(matches!(again, Err(Rejection::Invalid(p)) if p[0].contains("already been used")));

        let late = world
            .lock_exchange("usdc", "eur", dec("5"), now)
            .expect("lock");
        let after_ttl = now + world.timing.lock_ttl + Duration::from_millis(1);
        let expired = world.execute_exchange(&request(&late), after_ttl);
        assert!(matches!(expired, Err(Rejection::Invalid(p)) if p[0].contains("expired")));
        assert_eq!(world.executions.exchanges, 1);
    }

    #[test]
    fn quotes_validate_currencies_amounts_and_scale() {
        let now = Instant::now();
        let world = test_world(now);
        assert_eq!(
            world.quote("xyz", "eur", Decimal::ONE, now),
            Err(Rejection::UnknownCurrency("xyz".into()))
        );
        assert!(matches!(
            world.quote("eur", "eur", Decimal::ONE, now),
            Err(Rejection::Invalid(_))
        ));
        assert!(matches!(
            world.quote("eur", "usdc", dec("1.001"), now),
            Err(Rejection::Invalid(_))
        ));
        assert!(matches!(
            world.quote("gbp", "eur", Decimal::ONE, now),
            Err(Rejection::Invalid(p)) if p[0].contains("WAITING_TO_BE_ACTIVATED")
        ));
        let quote = world.quote("eur", "usdc", dec("100"), now).expect("quote");
        assert_eq!(
            quote.amount_to,
            convert(dec("100"), quote.rate, 6).expect("x")
        );
    }

    #[test]
    fn pausing_holds_the_queue_and_shifts_deadlines() {
        let now = Instant::now();
        let mut world = test_world(now);
        let lock = world
            .lock_exchange("eur", "usdc", dec("10"), now)
            .expect("lock");
        let id = world
            .execute_exchange(&request(&lock), now)
            .expect("queued");
        world.set_paused(true, now);
        assert_eq!(world.next_due(), None);
        world.advance(now + Duration::from_secs(60));
        assert_eq!(
            world.exchanges.get(&id).map(|e| e.status),
            Some(ExchangeStatus::Pending)
        );
        let resume = now + Duration::from_secs(60);
        world.set_paused(false, resume);
        assert!(world.next_due().is_some_and(|due| due > resume));
        run_out(&mut world, resume);
        assert_eq!(
            world.exchanges.get(&id).map(|e| e.status),
            Some(ExchangeStatus::Completed)
        );
    }
}
