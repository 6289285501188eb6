//! What a campaign cost and what it returned. WhatsApp bills marketing templates per message
//! delivered, at a rate per recipient country that the app cannot look up, so the brand enters
//! its rate once. It is kept per 1,000 delivered messages: rate cards quote fractions of a cent
//! (US$ 0.0703 a message), which are whole minor units per thousand (US$ 70.30 = 7030).
//!
//! The rate is a WhatsApp setting (`wa_ajustes`), read when results are shown: a campaign's
//! cost follows the rate entered last.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::results::Funnel;
use crate::error::{AppError, msg};

const PRICE_KEY: &str = "precio_marketing_por_mil";

/// The highest rate accepted: 1,000,000 major units per 1,000 messages is no real rate card,
/// and the bound keeps every cost computation far from overflowing.
const MAX_PRICE: i64 = 100_000_000;

/// The brand's rate for 1,000 delivered marketing messages, in minor units; `None` until set.
pub fn price_per_thousand(c: &Connection) -> Result<Option<i64>, AppError> {
    let v: Option<String> = c
        .query_row(
            "SELECT valor FROM wa_ajustes WHERE clave = ?1",
            [PRICE_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()))
}

/// Stores the rate (minor units per 1,000 delivered messages); `None` removes it.
pub fn set_price_per_thousand(c: &Connection, price: Option<i64>) -> Result<(), AppError> {
    match price {
        Some(p) => {
            check(p)?;
            c.execute(
                "INSERT INTO wa_ajustes (clave, valor) VALUES (?1, ?2)
                 ON CONFLICT (clave) DO UPDATE SET valor = excluded.valor",
                params![PRICE_KEY, p.to_string()],
            )?
        }
        None => c.execute("DELETE FROM wa_ajustes WHERE clave = ?1", [PRICE_KEY])?,
    };
    Ok(())
}

fn check(price: i64) -> Result<(), AppError> {
    if (0..=MAX_PRICE).contains(&price) {
        return Ok(());
    }
    Err(AppError::validation(
        "precio_por_mil",
        "range",
        msg(
            "El precio por 1.000 mensajes debe ser un importe entre 0 y 1.000.000.",
            "The price per 1,000 messages must be an amount between 0 and 1,000,000.",
        ),
    ))
}

/// A campaign's cost at the brand's rate and its return on that cost.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Return {
    /// The rate used, minor units per 1,000 delivered messages.
    pub precio_por_mil: i64,
    /// Messages billed: the recipients whose message was delivered (or read, answered…).
    pub mensajes_cobrados: i64,
    /// Minor units, rounded half up.
    pub costo: i64,
    /// (attributed revenue − cost) / cost; `null` when nothing was billed.
    pub roi: Option<f64>,
}

/// The return of a campaign with funnel `f` at `price` per 1,000; `None` without a rate.
pub fn of(f: &Funnel, price: Option<i64>) -> Option<Return> {
    let price = price?;
    let billed = f.entregados;
    // Both factors are bounded (MAX_PRICE, a brand's customers), so this cannot overflow.
    let costo = (billed * price + 500) / 1000;
    let roi = (costo > 0).then(|| (f.ingresos_atribuidos - costo) as f64 / costo as f64);
    Some(Return {
        precio_por_mil: price,
        mensajes_cobrados: billed,
        costo,
        roi,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::in_brand_write;

    #[test]
    fn cost_is_delivered_messages_at_the_rate_and_roi_nets_it_out() {
        let f = Funnel {
            destinatarios: 1200,
            enviados: 1100,
            entregados: 1000,
            ingresos_atribuidos: 14_060,
            ..Funnel::default()
        };
        assert!(of(&f, None).is_none(), "no rate, no return");
        // US$ 70.30 per 1,000 delivered: 1,000 delivered cost US$ 70.30.
        let r = of(&f, Some(7030)).unwrap();
        assert_eq!((r.mensajes_cobrados, r.costo), (1000, 7030));
        assert_eq!(r.roi, Some(1.0), "revenue twice the cost returns 100 %");
        // Three messages at 70.30 per 1,000 are 21.09 cents: rounded half up to 21.
        let three = Funnel {
            entregados: 3,
            ..Funnel::default()
        };
        assert_eq!(of(&three, Some(7030)).unwrap().costo, 21);
        let free = of(&three, Some(0)).unwrap();
        assert_eq!(
            (free.costo, free.roi),
            (0, None),
            "nothing billed, no ratio"
        );
    }

    #[test]
    fn the_rate_is_stored_replaced_removed_and_bounded() {
        in_brand_write(|c| {
            assert_eq!(price_per_thousand(c).unwrap(), None);
            set_price_per_thousand(c, Some(7030)).unwrap();
            set_price_per_thousand(c, Some(2600)).unwrap();
            assert_eq!(price_per_thousand(c).unwrap(), Some(2600));
            assert!(set_price_per_thousand(c, Some(-1)).is_err());
            assert!(set_price_per_thousand(c, Some(MAX_PRICE + 1)).is_err());
            assert_eq!(
                price_per_thousand(c).unwrap(),
                Some(2600),
                "refused, unchanged"
            );
            set_price_per_thousand(c, None).unwrap();
            assert_eq!(price_per_thousand(c).unwrap(), None);
            Ok(())
        });
    }
}
