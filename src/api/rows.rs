//! One bad row is one bad row: a list whose items are read one by one, keeping the good ones
//! and a note for each item that could not be read (P100-API.md, tolerance rules).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::printable::printable_owned;

/// Longest server text kept in a note.
const NOTE_CHARS: usize = 120;

/// Fields whose values are numbers we read exactly; the first one that fails names the note.
const NUMBER_FIELDS: &[&str] = &[
    "amount",
    "amountTo",
    "rate",
    "receivedAmount",
    "totalAmountRequired",
];

/// Money fields below an item's top level (a crypto balance's limits per network).
const NESTED_NUMBER_FIELDS: &[&str] = &["feeWithdrawal", "minWithdrawal", "minDeposit"];

/// An item of a list that could not be read. The rest of the answer is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRow {
    /// Its position in the list the server sent (0-based).
    pub index: usize,
    /// The item's `id`, when it had a readable one (made printable).
    pub id: Option<String>,
    /// The field that could not be read, when one is known (`amount`).
    pub field: Option<String>,
    /// The JSON type of the value that could not be read: "string", "number", "boolean",
    /// "null", "array" or "object" (the whole item's, when no single field is to blame).
    pub json_type: &'static str,
    /// Why, in the decoder's words (printable, short).
    pub reason: String,
}

impl fmt::Display for UnreadableRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.index + 1)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        match &self.field {
            Some(field) => write!(f, ": {field} is an unreadable {}", self.json_type)?,
            None => write!(f, ": an unreadable {}", self.json_type)?,
        }
        write!(f, " ({})", self.reason)
    }
}

/// "1 row could not be read", "3 rows could not be read"; `None` for none.
pub fn unreadable_summary(count: usize) -> Option<String> {
    match count {
        0 => None,
        1 => Some("1 row could not be read".to_owned()),
        n => Some(format!("{n} rows could not be read")),
    }
}

/// The readable items of a list and a note for each unreadable one.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows<T> {
    pub good: Vec<T>,
    pub bad: Vec<UnreadableRow>,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Self {
            good: Vec::new(),
            bad: Vec::new(),
        }
    }
}

impl<T: DeserializeOwned> Rows<T> {
    /// Reads a list item by item. Each item is first read as a JSON value (so a bad one cannot
    /// stop the list), then as `T`, its money fields as their exact text (`numbers_as_text`).
    pub(crate) fn read_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut rows = Self {
            good: Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024)),
            bad: Vec::new(),
        };
        let mut index = 0;
        while let Some(mut value) = seq.next_element::<Value>()? {
            let as_text = numbers_as_text(&mut value);
            match T::deserialize(&value) {
                Ok(item) => rows.good.push(item),
                Err(error) => {
                    numbers_back(&mut value, &as_text);
                    rows.bad.push(note(index, &value, &error.to_string()));
                }
            }
            index += 1;
        }
        Ok(rows)
    }
}

/// Hands the item's money fields on as their exact text. A buffered number whose text is also
/// an `f64`'s own text (`-8608218243008215.0`) reaches a decimal field as that `f64`, whose
/// text (`-8608218243008215`) has lost the scale the server wrote (decode_fuzz found it); a
/// string is read digit for digit. Returns the top-level fields changed, so that a note about
/// an unreadable item can say they were numbers.
fn numbers_as_text(value: &mut Value) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if let Value::Object(object) = value {
        for &name in NUMBER_FIELDS {
            if let Some(field @ Value::Number(_)) = object.get_mut(name) {
                *field = Value::String(field.to_string());
                changed.push(name);
            }
        }
        // A balance's per-network limits sit one level down (`networkConfig.polygon.…`).
        for nested in object.values_mut() {
            nested_numbers_as_text(nested);
        }
    }
    changed
}

fn nested_numbers_as_text(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (name, field) in object.iter_mut() {
                if NESTED_NUMBER_FIELDS.contains(&name.as_str()) && field.is_number() {
                    *field = Value::String(field.to_string());
                } else {
                    nested_numbers_as_text(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nested_numbers_as_text),
        _ => {}
    }
}

/// Undoes [`numbers_as_text`] for an item that could not be read, so its note names a number.
fn numbers_back(value: &mut Value, changed: &[&'static str]) {
    if let Value::Object(object) = value {
        for name in changed {
            if let Some(field) = object.get_mut(*name) {
                if let Value::String(text) = field {
                    if let Ok(number) = text.parse::<serde_json::Number>() {
                        *field = Value::Number(number);
                    }
                }
            }
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Rows<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(RowsVisitor(PhantomData))
    }
}

struct RowsVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for RowsVisitor<T> {
    type Value = Rows<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Rows::read_seq(seq)
    }
}

/// What is known about an unreadable item.
fn note(index: usize, value: &Value, reason: &str) -> UnreadableRow {
    let id = value
        .get("id")
        .and_then(|id| match id {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .map(|id| short(&id));
    let bad_number = value.as_object().and_then(|object| {
        NUMBER_FIELDS.iter().find_map(|name| {
            let field = object.get(*name)?;
            let readable = match field {
                Value::String(text) => crate::money::parse_exact(text).is_ok(),
                Value::Number(number) => crate::money::parse_exact(&number.to_string()).is_ok(),
                // A missing optional number is written as null; a required one fails below.
                Value::Null => true,
                _ => false,
            };
            (!readable).then(|| ((*name).to_owned(), json_type(field)))
        })
    });
    let (field, json_type) = match bad_number {
        Some((field, kind)) => (Some(field), kind),
        None => (None, json_type(value)),
    };
    UnreadableRow {
        index,
        id,
        field,
        json_type,
        reason: short(reason),
    }
}

/// The JSON type's name, as a person would say it.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(text: &str) -> String {
    let mut cut: String = text.chars().take(NOTE_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    printable_owned(cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: String,
        #[serde(deserialize_with = "crate::money::json::decimal")]
        amount: Decimal,
    }

    #[test]
    fn a_number_that_is_an_f64_s_own_text_keeps_the_scale_it_was_written_with() {
        let rows: Rows<Item> = serde_json::from_str(
            r#"[{"id":"a","amount":100.0},{"id":"b","amount":-8608218243008215.0},{"id":"c","amount":1e2}]"#,
        )
        .expect("the list is read");
        let written: Vec<String> = rows
            .good
            .iter()
            .map(|item| item.amount.to_string())
            .collect();
        assert_eq!(written, ["100.0", "-8608218243008215.0", "100"]);
        assert!(rows.bad.is_empty());
    }

    #[test]
    fn nested_limits_keep_their_scale_too() {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Limits {
            #[serde(deserialize_with = "crate::money::json::decimal")]
            min_deposit: Decimal,
        }
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Balance {
            network_config: std::collections::BTreeMap<String, Limits>,
        }
        let rows: Rows<Balance> =
            serde_json::from_str(r#"[{"networkConfig":{"polygon":{"minDeposit":25.0}}}]"#)
                .expect("the list is read");
        assert_eq!(
            rows.good[0].network_config["polygon"]
                .min_deposit
                .to_string(),
            "25.0"
        );
    }

    #[test]
    fn an_unreadable_number_is_still_noted_as_a_number() {
        let rows: Rows<Item> =
            serde_json::from_str(r#"[{"id":"a","amount":1.00000000000000000000000000001}]"#)
                .expect("the list is read");
        assert_eq!(rows.bad.len(), 1);
        assert_eq!(rows.bad[0].field.as_deref(), Some("amount"));
        assert_eq!(rows.bad[0].json_type, "number");
    }

    #[test]
    fn good_rows_are_kept_and_bad_ones_noted() {
        let rows: Rows<Item> = serde_json::from_str(
            r#"[{"id":"a","amount":"1.50"},{"id":"b","amount":true},{"id":"c","amount":412.607142},
                "garbage",{"id":"\u001b[2Jd","amount":"1.00000000000000000000000000001"}]"#,
        )
        .expect("the list is read");
        assert_eq!(rows.good.len(), 2);
        assert_eq!(
            rows.good[1].amount,
            "412.607142".parse::<Decimal>().expect("dec")
        );
        assert_eq!(rows.bad.len(), 3);
        assert_eq!(
            (
                rows.bad[0].index,
                rows.bad[0].id.as_deref(),
                rows.bad[0].field.as_deref(),
                rows.bad[0].json_type
            ),
            (1, Some("b"), Some("amount"), "boolean")
        );
        assert_eq!(
            (
                rows.bad[1].index,
                rows.bad[1].id.as_deref(),
                rows.bad[1].json_type
            ),
            (3, None, "string")
        );
        assert_eq!(rows.bad[2].json_type, "string");
        assert!(
            rows.bad[2].reason.contains("not representable"),
            "{}",
            rows.bad[2].reason
        );
        assert!(
            !rows.bad[2]
                .id
                .as_deref()
                .unwrap_or_default()
                .contains('\u{1b}')
        );
        let shown = rows.bad[0].to_string();
        assert!(
            shown.starts_with("row 2 (b): amount is an unreadable boolean ("),
            "{shown}"
        );
    }

    #[test]
    fn summaries_count_rows() {
        assert_eq!(unreadable_summary(0), None);
        assert_eq!(
            unreadable_summary(1).as_deref(),
            Some("1 row could not be read")
        );
        assert_eq!(
            unreadable_summary(3).as_deref(),
            Some("3 rows could not be read")
        );
    }
}
