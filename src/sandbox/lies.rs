//! What a lying server says: rewrites of honest answers, for the faults that test whether the
//! desk checks the server's word against what it asked (a lock for another trade, an answer
//! about another id, an echo of the key).

use std::fmt::Write as _;

use serde_json::Value;

/// An exchange lock for 400 times the amount and another currency to buy, or an order lock for
/// another currency and network. Fields the answer lacks are added, so the lie is always told.
pub fn other_trade(answer: &mut Value) {
    let Some(fields) = answer.as_object_mut() else {
        return;
    };
    if fields.contains_key("currencyTo") {
        let bought = fields
            .get("currencyTo")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let other = if bought == "eth" { "btc" } else { "eth" };
        fields.insert("currencyTo".into(), Value::from(other));
        let amount = fields
            .get("amount")
            .and_then(decimal_text)
            .and_then(|text| text.parse::<rust_decimal::Decimal>().ok())
            .unwrap_or_default();
        let inflated = amount * rust_decimal::Decimal::from(400);
        fields.insert(
            "amount".into(),
            Value::from(inflated.normalize().to_string()),
        );
    } else {
        let currency = fields
            .get("currency")
            .or_else(|| fields.get("cryptocurrency"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let other = if currency == "usdt" { "usdc" } else { "usdt" };
        fields.remove("cryptocurrency");
        fields.insert("currency".into(), Value::from(other));
        let network = fields
            .get("network")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let other_network = if network == "ethereum" {
            "polygon"
        } else {
            "ethereum"
        };
        fields.insert("network".into(), Value::from(other_network));
    }
}

/// A details answer about a fresh id, already final.
pub fn foreign_id(answer: &mut Value) {
    let Some(fields) = answer.as_object_mut() else {
        return;
    };
    let id = uuid::Uuid::new_v4().to_string();
    if fields.contains_key("orderId") {
        fields.insert("orderId".into(), Value::from(id));
        fields.insert("status".into(), Value::from("COMPLETED"));
    } else {
        fields.insert("exchangeId".into(), Value::from(id));
        fields.insert("status".into(), Value::from("COMPLETED"));
    }
}

/// The answer as JSON text with the key in it, its first character written as a `\u` escape
/// (so a byte search for the key in the raw body does not find it): in `lockId` where the
/// answer has one (the dangerous place: it is sent back in the POST), else in `message`.
pub fn echo_key(mut answer: Value, key: &str) -> String {
    const MARKER: &str = "\u{1}p100-sandbox-echo\u{1}";
    let Some(fields) = answer.as_object_mut() else {
        return answer.to_string();
    };
    let field = if fields.contains_key("lockId") {
        "lockId"
    } else {
        "message"
    };
    fields.insert(field.into(), Value::from(MARKER));
    let mut chars = key.chars();
    let escaped = match chars.next() {
        Some(first) => {
            let mut units = [0u16; 2];
            let mut head = String::new();
            for unit in first.encode_utf16(&mut units) {
                // Writing into a String cannot fail.
                let _ = write!(head, "\\u{unit:04x}");
            }
            // The rest of the key as JSON would write it (quotes and backslashes escaped).
            let rest = Value::from(chars.as_str()).to_string();
            format!("{head}{}", rest.trim_matches('"'))
        }
        None => String::new(),
    };
    let marker_json = Value::from(MARKER).to_string();
    answer
        .to_string()
        .replace(marker_json.trim_matches('"'), &escaped)
}

fn decimal_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_exchange_lock_is_turned_into_another_trade() {
        let mut lock = json!({"lockId": "l1", "currencyFrom": "eur", "currencyTo": "usdc",
            "amount": "1", "rate": 1.1, "amountTo": "1.1", "expiresAt": "2026-12-01T10:00:00Z"});
        other_trade(&mut lock);
        assert_eq!(lock["currencyTo"], "eth");
        assert_eq!(lock["amount"], "400");
        assert_eq!(lock["lockId"], "l1");
    }

    #[test]
    fn an_order_lock_names_another_currency_and_network() {
        let mut lock = json!({"lockId": "l2", "cryptocurrency": "usdc", "network": "polygon",
            "amount": 12.5, "rate": "0.84"});
        other_trade(&mut lock);
        assert_eq!(lock["currency"], "usdt");
        assert_eq!(lock["network"], "ethereum");
        assert!(lock.get("cryptocurrency").is_none());
    }

    #[test]
    fn details_about_another_id_are_final() {
        let mut details = json!({"exchangeId": "e1", "status": "PROCESSING"});
        foreign_id(&mut details);
        assert_ne!(details["exchangeId"], "e1");
        assert_eq!(details["status"], "COMPLETED");
        let mut order = json!({"orderId": "o1", "status": "WAITING_FOR_PAYMENT"});
        foreign_id(&mut order);
        assert_ne!(order["orderId"], "o1");
    }

    #[test]
    fn the_echoed_key_is_escaped_but_decodes_to_the_key() {
        let key = "canary-\"key\\1";
        let text = echo_key(json!({"lockId": "l3", "amount": "1"}), key);
        assert!(!text.contains(key), "{text}");
        assert!(text.contains("\\u0063anary"), "{text}");
        let decoded: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(decoded["lockId"], key);
        let other = echo_key(json!({"orderId": "o1"}), key);
        let decoded: Value = serde_json::from_str(&other).expect("still JSON");
        assert_eq!(decoded["message"], key);
    }
}
