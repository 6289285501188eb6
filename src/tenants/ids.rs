//! Public ids that carry their brand: `cli_gollos_42` is customer 42 of brand `gollos`.
//!
//! Because the brand is in the id, `/api/clientes/{id}` opens exactly one database file, and
//! the newtypes keep a customer id from being passed where an order id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Slug;
use crate::error::AppError;

macro_rules! public_id {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[doc = concat!("Public id of a ", $what, ": `", $prefix, "_{brand}_{n}`.")]
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            pub slug: Slug,
            pub local: i64,
        }

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn new(slug: &Slug, local: i64) -> Self {
                $name {
                    slug: slug.clone(),
                    local,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}_{}", $prefix, self.slug, self.local)
            }
        }

        impl FromStr for $name {
            type Err = AppError;
            fn from_str(s: &str) -> Result<Self, AppError> {
                parse_parts(s, $prefix)
                    .map(|(slug, local)| $name { slug, local })
                    .ok_or(AppError::NotFound($what))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(|_| {
                    serde::de::Error::custom(concat!("not a ", $what, " id (", $prefix, "_…)"))
                })
            }
        }
    };
}

public_id!(CustomerId, "cli", "cliente");
public_id!(ProductId, "pro", "producto");
public_id!(OrderId, "ped", "pedido");
public_id!(InteractionId, "int", "interaccion");

fn parse_parts(s: &str, prefix: &str) -> Option<(Slug, i64)> {
    let rest = s.strip_prefix(prefix)?.strip_prefix('_')?;
    let (slug, local) = rest.rsplit_once('_')?;
    let slug = Slug::parse(slug).ok()?;
    // Only canonical decimal numbers: no sign, no leading zeros, so each row has one id.
    if local.is_empty() || local.starts_with('0') || !local.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let local = local.parse::<i64>().ok()?;
    Some((slug, local))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_kinds() {
        let id: CustomerId = "cli_goio-store_42".parse().unwrap();
        assert_eq!(id.slug.as_str(), "goio-store");
        assert_eq!(id.local, 42);
        assert_eq!(id.to_string(), "cli_goio-store_42");
        assert!("ped_goio-store_42".parse::<CustomerId>().is_err());
        for bad in [
            "cli_gollos_",
            "cli__1",
            "cli_gollos_01",
            "cli_gollos_-1",
            "cli_../x_1",
            "cli_gollos_99999999999999999999",
            "cli_gollos_1_2",
            "cli_Gollos_1",
        ] {
            assert!(bad.parse::<CustomerId>().is_err(), "{bad}");
        }
    }
}
