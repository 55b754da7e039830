//! The request paths the client uses, with the documented defaults and `[api.paths]` overrides.
//!
//! Paths marked [assumed] in P100-API.md could not be confirmed from the public docs body, so
//! every path is overridable from the config file without a rebuild. `{id}` in a details path
//! is replaced by the (URL-encoded) exchange or order id.

use serde::{Deserialize, Serialize};

use super::remote_id::RemoteId;

/// Every path the client calls, relative to the base URL (which carries no `/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiPaths {
    /// [doc, older generation] `GET` balances.
    pub balances: String,
    /// [assumed] `GET` paged transaction history (`?page=&limit=`).
    pub transactions: String,
    /// [assumed] `GET` indicative exchange rate.
    pub exchange_rate: String,
    /// [assumed path; docs list it as a GET] `GET` exchange rate lock.
    pub exchange_lock: String,
    /// [doc] `POST` execute an exchange.
    pub exchange: String,
    /// [doc path] `GET` exchange details; `{id}` is the exchange id.
    pub exchange_details: String,
    /// [assumed] `GET` indicative order rates.
    pub order_rates: String,
    /// [doc] `POST` order rate lock.
    pub order_lock: String,
    /// [doc] `POST` create an order.
    pub order_create: String,
    /// [doc] `GET` order details; `{id}` is the order id.
    pub order_details: String,
}

impl Default for ApiPaths {
    fn default() -> Self {
        Self {
            balances: "/v1/partner/balances".into(),
            transactions: "/v1/partner/transactions".into(),
            exchange_rate: "/v1/partner/exchange/rate".into(),
            exchange_lock: "/v1/partner/exchange/lock".into(),
            exchange: "/v1/partner/exchange".into(),
            exchange_details: "/v1/exchange/details/{id}".into(),
            order_rates: "/v1/order/rates".into(),
            order_lock: "/v1/order/lock-rate".into(),
            order_create: "/v1/order".into(),
            order_details: "/v1/order/details/{id}".into(),
        }
    }
}

impl ApiPaths {
    /// Fills `{id}` in a details path template with a checked id, percent-encoded as one
    /// path segment: an id can never add path segments, a query or a fragment.
    pub fn with_remote_id(template: &str, id: &RemoteId) -> String {
        template.replace("{id}", &id.path_segment())
    }

    /// Like [`ApiPaths::with_remote_id`] for an id not checked yet: `None` when the id is not
    /// usable in a path (see [`RemoteId::parse`]), so nothing is ever sent to a broken path.
    pub fn with_id(template: &str, id: &str) -> Option<String> {
        RemoteId::parse(id)
            .ok()
            .map(|id| Self::with_remote_id(template, &id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_path_encodes_the_id_as_one_segment() {
        let paths = ApiPaths::default();
        assert_eq!(
            ApiPaths::with_id(&paths.exchange_details, "3f0a-eaa7").as_deref(),
            Some("/v1/exchange/details/3f0a-eaa7")
        );
        assert_eq!(
            ApiPaths::with_id(&paths.order_details, "x?y#z%").as_deref(),
            Some("/v1/order/details/x%3Fy%23z%25")
        );
        for unusable in ["", ".", "..", "../x", "a/b"] {
            assert_eq!(ApiPaths::with_id(&paths.order_details, unusable), None);
        }
    }

    #[test]
    fn overrides_keep_defaults_for_unset_paths() {
        let parsed: ApiPaths = toml::from_str("balances = \"/v2/balances\"").expect("valid toml");
        assert_eq!(parsed.balances, "/v2/balances");
        assert_eq!(parsed.order_create, ApiPaths::default().order_create);
    }
}
