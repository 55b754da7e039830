//! Operators: roles, tokens (printed once, stored as a SHA-256 hash), add/list/revoke, and
//! finding the operator behind an `x-api-key`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::RelayError;
use super::store;

/// Prefix of every operator token, so one is recognisable in a config or a leak report.
const TOKEN_PREFIX: &str = "p100op_";

/// What an operator may do. Ordered: each role includes the ones before it, so an approver
/// can also trade (treasury approvers usually place trades too; they still cannot approve
/// their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads balances, history, details, the team's rows and events.
    Viewer,
    /// Also locks rates and sends exchanges and orders.
    Trader,
    /// Also approves other operators' proposals.
    Approver,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Trader => "trader",
            Self::Approver => "approver",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Self::Viewer),
            "trader" => Ok(Self::Trader),
            "approver" => Ok(Self::Approver),
            other => Err(format!(
                "unknown role {other:?}: viewer, trader or approver"
            )),
        }
    }
}

/// The operator a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub role: Role,
}

impl Operator {
    /// Refuses with 403 unless the operator's role includes `needed`.
    pub fn require(&self, needed: Role, action: &str) -> Result<(), RelayError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(RelayError::forbidden(format!(
                "{} is a {}; {action} needs a {needed}",
                self.name, self.role
            )))
        }
    }
}

/// One row of `operator list`.
#[derive(Debug, Clone)]
pub struct OperatorRow {
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new random token: 32 bytes from the OS generator, hex, with the prefix.
fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Names are what the team journal shows: short, printable, no spaces.
fn check_name(name: &str) -> Result<(), RelayError> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if fine {
        Ok(())
    } else {
        Err(RelayError::invalid(
            "an operator name is 1-64 characters of letters, digits, - _ . @",
        ))
    }
}

/// Adds an operator and returns its token (the only time it exists outside its owner).
/// A revoked name may be added again, with a new token.
pub async fn add(pool: &Pool, name: &str, role: Role) -> Result<String, RelayError> {
    check_name(name)?;
    let token = new_token();
    let db = store::connection(pool).await?;
    let changed = db
        .execute(
            "INSERT INTO operators (name, role, token_hash) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE
                SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash,
                    created_at = now(), revoked_at = NULL
                WHERE operators.revoked_at IS NOT NULL",
            &[&name, &role.as_str(), &token_hash(&token)],
        )
        .await?;
    if changed == 0 {
        return Err(RelayError::invalid(format!(
            "operator {name} exists; revoke it first to issue a new token"
        )));
    }
    Ok(token)
}

/// Every operator, revoked ones included, by name.
pub async fn list(pool: &Pool) -> Result<Vec<OperatorRow>, RelayError> {
    let db = store::connection(pool).await?;
    let rows = db
        .query(
            "SELECT name, role, created_at, revoked_at FROM operators ORDER BY name",
            &[],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.get(1);
            Ok(OperatorRow {
                name: row.get(0),
                role: role.parse().map_err(RelayError::Database)?,
                created_at: row.get(2),
                revoked_at: row.get(3),
            })
        })
        .collect()
}

/// Revokes at once: the next request with the token is refused. False if no live operator
/// had that name.
pub async fn revoke(pool: &Pool, name: &str) -> Result<bool, RelayError> {
    let db = store::connection(pool).await?;
    let changed = db
        .execute(
            "UPDATE operators SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
            &[&name],
        )
        .await?;
    Ok(changed > 0)
}

/// The live operator whose token this is. The database is searched by the token's hash, and
/// the stored hash is compared again in constant time, so neither step leaks how much of a
/// guessed token was right.
pub async fn authenticate(pool: &Pool, token: Option<&str>) -> Result<Operator, RelayError> {
    let Some(token) = token.filter(|token| !token.is_empty()) else {
        return Err(RelayError::unauthorized(
            "Access Denied: no operator token in x-api-key",
        ));
    };
    let hash = token_hash(token);
    let db = store::connection(pool).await?;
    let row = db
        .query_opt(
            "SELECT name, role, token_hash FROM operators
             WHERE token_hash = $1 AND revoked_at IS NULL",
            &[&hash],
        )
        .await?;
    let wrong = || RelayError::unauthorized("Access Denied: unknown or revoked operator token");
    let row = row.ok_or_else(wrong)?;
    let stored: Vec<u8> = row.get(2);
    if !bool::from(stored.as_slice().ct_eq(hash.as_slice())) {
        return Err(wrong());
    }
    let role: String = row.get(1);
    Ok(Operator {
        name: row.get(0),
        role: role.parse().map_err(RelayError::Database)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_lower_ones() {
        let approver = Operator {
            name: "ann".into(),
            role: Role::Approver,
        };
        assert!(approver.require(Role::Trader, "trading").is_ok());
        let viewer = Operator {
            name: "vic".into(),
            role: Role::Viewer,
        };
        let refused = viewer
            .require(Role::Trader, "locking a rate")
            .expect_err("viewer cannot trade");
        assert!(refused.to_string().contains("needs a trader"), "{refused}");
        assert_eq!("Approver".parse::<Role>(), Ok(Role::Approver));
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn tokens_are_long_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a).len(), 32);
        assert!(!hex::encode(token_hash(&a)).contains(&a[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("alice@treasury").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("\u{202e}x").is_err());
    }
}
