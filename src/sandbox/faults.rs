//! Fault knobs: which misbehaviour to inject, on which endpoint, for how many requests.
//!
//! Tests push rules onto [`Faults`]; every authenticated request to a known endpoint takes the
//! first rule that matches it (in push order) and misbehaves as that rule says.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::Method;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The sandbox's endpoints, for aiming faults and reading the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /v1/partner/balances`
    Balances,
    /// `GET /v1/partner/transactions`
    Transactions,
    /// `GET /v1/partner/exchange/rate`
    ExchangeRate,
    /// `GET /v1/partner/exchange/lock`
    ExchangeLock,
    /// `POST /v1/partner/exchange`
    Exchange,
    /// `GET /v1/exchange/details/{id}`
    ExchangeDetails,
    /// `GET /v1/order/rates`
    OrderRates,
    /// `POST /v1/order/lock-rate`
    OrderLock,
    /// `POST /v1/order`
    OrderCreate,
    /// `GET /v1/order/details/{id}`
    OrderDetails,
}

impl Endpoint {
    /// Which endpoint a request is for; `None` for anything the sandbox does not serve
    /// (including a known path with the wrong method).
    pub fn classify(method: &Method, path: &str) -> Option<Self> {
        let is_get = method == Method::GET;
        let is_post = method == Method::POST;
        let with_id = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
        };
        match path {
            "/v1/partner/balances" if is_get => Some(Self::Balances),
            "/v1/partner/transactions" if is_get => Some(Self::Transactions),
            "/v1/partner/exchange/rate" if is_get => Some(Self::ExchangeRate),
            "/v1/partner/exchange/lock" if is_get => Some(Self::ExchangeLock),
            "/v1/partner/exchange" if is_post => Some(Self::Exchange),
            "/v1/order/rates" if is_get => Some(Self::OrderRates),
            "/v1/order/lock-rate" if is_post => Some(Self::OrderLock),
            "/v1/order" if is_post => Some(Self::OrderCreate),
            _ if is_get && with_id("/v1/exchange/details/") => Some(Self::ExchangeDetails),
            _ if is_get && with_id("/v1/order/details/") => Some(Self::OrderDetails),
            _ => None,
        }
    }

    /// Whether the endpoint moves money (a POST whose repetition would do it twice).
    pub fn moves_money(self) -> bool {
        matches!(self, Self::Exchange | Self::OrderCreate)
    }
}

/// How a `429` says when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 3`
    Seconds(u64),
    /// `Retry-After: Fri, 13 Feb 2026 11:28:49 GMT`, this long from the moment of the answer.
    HttpDate(Duration),
}

/// One kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Waits this long, then answers normally. The request is applied even when the client
    /// gave up waiting meanwhile (as a real server behind a proxy would).
    Latency(Duration),
    /// HTTP 429 `{"message":"Too Many Requests"}`, with the header if given. Not applied.
    RateLimited { retry_after: Option<RetryAfter> },
    /// This HTTP status (500, 502, 503...) with a gateway-style body. Not applied.
    ServerError(u16),
    /// HTTP 400 `{"errorCode":"P501","errorName":"service-unavailable",...}`. Not applied.
    P501,
    /// HTTP 400 `{"errorCode":"P500","errorName":"unknown-exception",...}`. Not applied.
    P500,
    /// Never answers (until the sandbox shuts down): the client's timeout must fire. Not
    /// applied.
    Hang,
    /// HTTP 200 with bytes that are not JSON. Not applied.
    Garbage,
    /// The request IS applied, then the real answer's body is cut in half (its status and
    /// `Content-Length` match the cut body, so only the JSON is broken).
    Truncated,
    /// HTTP 200 with an empty body. Not applied.
    Empty,
    /// The request IS applied (e.g. the exchange is queued), then the connection is dropped
    /// before any byte of the response is written: the client sees a connection error.
    ApplyThenDrop,
    /// A lie: the lock IS made as asked, but the answer names another trade (an exchange lock
    /// for 400 times the amount and another currency to buy; an order lock for another
    /// currency and network). A desk that trusts the echo would confirm terms nobody typed.
    LockForAnotherTrade,
    /// A lie: a details answer about another id (a fresh one, marked final), as a confused
    /// cache or proxy might send. A desk must not apply it to the row it asked about.
    ForeignDetailsId,
    /// A lie: the answer carries the API key, with its first character JSON-escaped
    /// (`\u0063...`), in the lock id (locks) or in a `message` field (anything else).
    EchoKey,
}

/// "Inject `fault` into requests to `endpoint`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// `None` matches every endpoint.
    pub endpoint: Option<Endpoint>,
    pub fault: Fault,
    /// `Some(n)`: the next `n` matching requests; `None`: every one until cleared.
    pub remaining: Option<u32>,
}

impl FaultRule {
    /// The next `count` requests to `endpoint` (`None` = any endpoint).
    pub fn next(endpoint: Option<Endpoint>, fault: Fault, count: u32) -> Self {
        Self {
            endpoint,
            fault,
            remaining: Some(count),
        }
    }

    /// Every request to `endpoint` (`None` = any endpoint) until [`Faults::clear`].
    pub fn always(endpoint: Option<Endpoint>, fault: Fault) -> Self {
        Self {
            endpoint,
            fault,
            remaining: None,
        }
    }
}

struct ArmedRule {
    rule: FaultRule,
    /// `Some(p)`: fires on a matching request with probability `p`.
    probability: Option<f64>,
}

struct FaultBook {
    rules: Vec<ArmedRule>,
    rng: StdRng,
}

/// The fault rules of one sandbox. Cheap to clone; all clones share the rules.
#[derive(Clone)]
pub struct Faults {
    book: Arc<Mutex<FaultBook>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Faults")
            .field("rules", &self.book().rules.len())
            .finish()
    }
}

impl Faults {
    /// No rules; probabilistic rules roll dice from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            book: Arc::new(Mutex::new(FaultBook {
                rules: Vec::new(),
                rng: StdRng::seed_from_u64(seed),
            })),
        }
    }

    /// Adds a rule after the existing ones.
    pub fn push(&self, rule: FaultRule) {
        self.book().rules.push(ArmedRule {
            rule,
            probability: None,
        });
    }

    /// Adds a rule that fires on each matching request with `probability` (0..=1; clamped),
    /// rolled with the sandbox's seeded RNG, until cleared.
    pub fn push_random(&self, endpoint: Option<Endpoint>, fault: Fault, probability: f64) {
        self.book().rules.push(ArmedRule {
            rule: FaultRule::always(endpoint, fault),
            probability: Some(probability.clamp(0.0, 1.0)),
        });
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.book().rules.clear();
    }

    /// How many rules are still armed.
    pub fn len(&self) -> usize {
        self.book().rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fault to inject into this request, if any; counts it against its rule.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut book = self.book();
        let FaultBook { rules, rng } = &mut *book;
        rules.retain(|armed| armed.rule.remaining != Some(0));
        let index = rules.iter().position(|armed| {
            armed.rule.endpoint.is_none_or(|wanted| wanted == endpoint)
                && armed.probability.is_none_or(|p| rng.random_bool(p))
        })?;
        let armed = rules.get_mut(index)?;
        let fault = armed.rule.fault;
        if let Some(remaining) = armed.rule.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                rules.remove(index);
            }
        }
        Some(fault)
    }

    fn book(&self) -> MutexGuard<'_, FaultBook> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_classified_by_method_and_path() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            Endpoint::classify(&get, "/v1/partner/balances"),
            Some(Endpoint::Balances)
        );
        assert_eq!(
            Endpoint::classify(&post, "/v1/partner/exchange"),
            Some(Endpoint::Exchange)
        );
        assert_eq!(Endpoint::classify(&get, "/v1/partner/exchange"), None);
        assert_eq!(
            Endpoint::classify(&get, "/v1/exchange/details/abc"),
            Some(Endpoint::ExchangeDetails)
        );
        assert_eq!(Endpoint::classify(&get, "/v1/exchange/details/"), None);
        assert_eq!(Endpoint::classify(&get, "/v1/order/details/a/b"), None);
        assert_eq!(
            Endpoint::classify(&post, "/v1/order"),
            Some(Endpoint::OrderCreate)
        );
        assert!(Endpoint::OrderCreate.moves_money());
        assert!(!Endpoint::OrderDetails.moves_money());
    }

    #[test]
    fn counted_rules_fire_then_disappear() {
        let faults = Faults::new(1);
        faults.push(FaultRule::next(Some(Endpoint::Exchange), Fault::P501, 2));
        assert_eq!(faults.take(Endpoint::Balances), None);
        assert_eq!(faults.take(Endpoint::Exchange), Some(Fault::P501));
        assert_eq!(faults.take(Endpoint::Exchange), Some(Fault::P501));
        assert_eq!(faults.take(Endpoint::Exchange), None);
        assert!(faults.is_empty());
    }

    #[test]
    fn rules_apply_in_push_order_and_clear() {
        let faults = Faults::new(1);
        faults.push(FaultRule::next(None, Fault::Empty, 1));
        faults.push(FaultRule::always(None, Fault::Garbage));
        assert_eq!(faults.take(Endpoint::OrderRates), Some(Fault::Empty));
        assert_eq!(faults.take(Endpoint::OrderRates), Some(Fault::Garbage));
        assert_eq!(faults.take(Endpoint::Balances), Some(Fault::Garbage));
        faults.clear();
        assert_eq!(faults.take(Endpoint::Balances), None);
    }

    #[test]
    fn random_rules_fire_about_as_often_as_asked_and_repeat_per_seed() {
        let roll = |seed| {
            let faults = Faults::new(seed);
            faults.push_random(None, Fault::P500, 0.25);
            (0..400)
                .map(|_| faults.take(Endpoint::Balances).is_some())
                .collect::<Vec<_>>()
        };
        let first = roll(9);
        let fired = first.iter().filter(|fired| **fired).count();
        assert!((60..=140).contains(&fired), "{fired}");
        assert_eq!(first, roll(9));
    }
}
