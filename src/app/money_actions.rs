//! The one list of money-moving actions, and everything generated from it: the open `Ticket`,
//! the enums that carry a kind's own API types through `Cmd` and `Msg` (`LockRequest`,
//! `TradeLock`, `MoneyPost`, `TradeAccepted`, `PriceRequest`, `TradePrice`) and `each_kind!`.
//! A third action (a withdrawal) is one more line in [`money_actions!`].

use super::trade_kind::TradeKind;

/// Calls `callback! { [args] Variant => Form, ... }` with every money-moving action: the one
/// list of kinds. `Variant` names the kind in every enum below; `Form` implements
/// [`TradeKind`].
macro_rules! money_actions {
    ($($callback:ident)::+ { $($args:tt)* }) => {
        $($callback)::+! {
            [$($args)*]
            Exchange => $crate::app::ticket::ExchangeTicket,
            Order => $crate::app::ticket::OrderTicket,
        }
    };
}
pub(crate) use money_actions;

/// Runs `$body` with `$t` bound to the open ticket's form, whatever its kind; the body is
/// compiled once per kind, so it may call [`TradeKind`] methods.
macro_rules! each_kind {
    ($ticket:expr, mut $t:ident => $body:expr) => {
        $crate::app::money_actions::money_actions!(
            $crate::app::money_actions::each_kind_match { mut ($ticket) $t ($body) }
        )
    };
    ($ticket:expr, $t:ident => $body:expr) => {
        $crate::app::money_actions::money_actions!(
            $crate::app::money_actions::each_kind_match { ($ticket) $t ($body) }
        )
    };
}
pub(crate) use each_kind;

/// The `match` behind [`each_kind!`], one arm per kind of the list.
macro_rules! each_kind_match {
    ([mut ($ticket:expr) $t:ident ($body:expr)] $($kind:ident => $form:ty),* $(,)?) => {
        match $ticket {
            $( $crate::app::money_actions::Ticket::$kind(mut $t) => $body, )*
        }
    };
    ([($ticket:expr) $t:ident ($body:expr)] $($kind:ident => $form:ty),* $(,)?) => {
        match $ticket {
            $( $crate::app::money_actions::Ticket::$kind($t) => $body, )*
        }
    };
}
pub(crate) use each_kind_match;

/// The enums over the kinds, one variant per kind holding that kind's own type.
macro_rules! trade_enums {
    ([] $($kind:ident => $form:ty),* $(,)?) => {
        /// The open ticket: one form of a money-moving action.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Ticket {
            $( $kind($form), )*
        }

        /// What a lock is asked with (`Cmd::Lock`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum LockRequest {
            $( $kind(<$form as TradeKind>::LockRequest), )*
        }

        /// The server's rate lock (`Msg::Locked`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum TradeLock {
            $( $kind(<$form as TradeKind>::Lock), )*
        }

        /// The money-moving POST, built from the confirmed intent (`Cmd::Submit`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum MoneyPost {
            $( $kind(<$form as TradeKind>::Post), )*
        }

        /// P100's answer to the POST (`Msg::Submitted`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum TradeAccepted {
            $( $kind(<$form as TradeKind>::Accepted), )*
        }

        /// What the indicative price is asked with (`Cmd::LoadPrice`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum PriceRequest {
            $( $kind(<$form as TradeKind>::PriceRequest), )*
        }

        /// The indicative price a form shows (`Msg::Priced`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum TradePrice {
            $( $kind(<$form as TradeKind>::Price), )*
        }

        impl TradeAccepted {
            /// The id P100 gave the accepted POST.
            pub fn remote_id(&self) -> &str {
                match self {
                    $( Self::$kind(accepted) => <$form as TradeKind>::remote_id(accepted), )*
                }
            }
        }
    };
}

money_actions!(trade_enums {});

/// The `TradeKind` methods that put a kind's values into the enums above and take them out,
/// for the kind named `$kind` in the list: invoked inside each `impl TradeKind`.
macro_rules! kind_variants {
    ($kind:ident) => {
        fn into_ticket(self) -> $crate::app::money_actions::Ticket {
            $crate::app::money_actions::Ticket::$kind(self)
        }
        // Any other kind, today's and a future one's, is not this form.
        #[allow(clippy::match_wildcard_for_single_variants)]
        fn from_ticket(
            ticket: $crate::app::money_actions::Ticket,
        ) -> Result<Self, Box<$crate::app::money_actions::Ticket>> {
            match ticket {
                $crate::app::money_actions::Ticket::$kind(t) => Ok(t),
                other => Err(Box::new(other)),
            }
        }
        fn wrap_lock_request(
            request: Self::LockRequest,
        ) -> $crate::app::money_actions::LockRequest {
            $crate::app::money_actions::LockRequest::$kind(request)
        }
        fn wrap_post(post: Self::Post) -> $crate::app::money_actions::MoneyPost {
            $crate::app::money_actions::MoneyPost::$kind(post)
        }
        fn wrap_price_request(
            request: Self::PriceRequest,
        ) -> $crate::app::money_actions::PriceRequest {
            $crate::app::money_actions::PriceRequest::$kind(request)
        }
        fn wrap_lock(lock: Self::Lock) -> $crate::app::money_actions::TradeLock {
            $crate::app::money_actions::TradeLock::$kind(lock)
        }
        fn wrap_accepted(accepted: Self::Accepted) -> $crate::app::money_actions::TradeAccepted {
            $crate::app::money_actions::TradeAccepted::$kind(accepted)
        }
        fn wrap_price(price: Self::Price) -> $crate::app::money_actions::TradePrice {
            $crate::app::money_actions::TradePrice::$kind(price)
        }
        #[allow(clippy::match_wildcard_for_single_variants)]
        fn lock_of(lock: $crate::app::money_actions::TradeLock) -> Option<Self::Lock> {
            match lock {
                $crate::app::money_actions::TradeLock::$kind(lock) => Some(lock),
                _ => None,
            }
        }
        #[allow(clippy::match_wildcard_for_single_variants)]
        fn accepted_of(
            accepted: $crate::app::money_actions::TradeAccepted,
        ) -> Option<Self::Accepted> {
            match accepted {
                $crate::app::money_actions::TradeAccepted::$kind(accepted) => Some(accepted),
                _ => None,
            }
        }
        #[allow(clippy::match_wildcard_for_single_variants)]
        fn price_of(price: $crate::app::money_actions::TradePrice) -> Option<Self::Price> {
            match price {
                $crate::app::money_actions::TradePrice::$kind(price) => Some(price),
                _ => None,
            }
        }
    };
}
pub(crate) use kind_variants;
