//! Tolerant list envelopes: a list may arrive bare (`[...]`) or wrapped (`{"data": [...]}`).
//!
//! Streams straight from the deserializer (no `untagged`/`Value` buffering), which matters
//! because serde_json's `arbitrary_precision` numbers do not survive buffering.

use std::fmt;
use std::marker::PhantomData;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::rows::Rows;
use crate::money::json::decimal_opt;

/// A list with the paging fields that sometimes come beside it. One unreadable item does not
/// make the list unreadable (see `rows`).
pub struct Listed<T> {
    pub items: Rows<T>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
    pub total: Option<u64>,
}

/// Reads a bare list, or an object whose list sits under one of `list_keys`.
pub fn deserialize<'de, D, T>(
    deserializer: D,
    list_keys: &'static [&'static str],
) -> Result<Listed<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    deserializer.deserialize_any(ListedVisitor {
        list_keys,
        item: PhantomData,
    })
}

struct ListedVisitor<T> {
    list_keys: &'static [&'static str],
    item: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for ListedVisitor<T> {
    type Value = Listed<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a list, or an object holding one of {:?}",
            self.list_keys
        )
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let items = Rows::read_seq(seq)?;
        Ok(Listed {
            items,
            page: None,
            limit: None,
            total: None,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = None;
        let (mut page, mut limit, mut total) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            if items.is_none() && self.list_keys.contains(&key.as_str()) {
                items = Some(map.next_value::<Rows<T>>()?);
            } else {
                match key.as_str() {
                    "page" => page = map.next_value::<Count>()?.0.and_then(|n| n.to_u32()),
                    "limit" => limit = map.next_value::<Count>()?.0.and_then(|n| n.to_u32()),
                    "total" => total = map.next_value::<Count>()?.0.and_then(|n| n.to_u64()),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        let items = items.ok_or_else(|| de::Error::missing_field(self.list_keys[0]))?;
        Ok(Listed {
            items,
            page,
            limit,
            total,
        })
    }
}

/// A count that may come as a number, a string or null.
struct Count(Option<Decimal>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        decimal_opt(deserializer).map(Count)
    }
}

/// A whole count (`confirmations`) from a number, a string or null. A value that is not a
/// whole non-negative number is a decode error, like any other malformed field.
pub fn lenient_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match decimal_opt(deserializer)? {
        None => Ok(None),
        Some(value) => value
            .to_u32()
            .filter(|count| Decimal::from(*count) == value)
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("{value} is not a count"))),
    }
}
