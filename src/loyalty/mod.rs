//! Loyalty (fidelidad): one program per brand — points per amount spent or stamps
//! per qualifying order — rewards with their cost, and an append-only ledger per customer.
//!
//! Points are earned when an order reaches `confirmado` (counter orders are confirmed at
//! once, so the customer sees the stamp on the ticket) and reversed if it is later
//! cancelled; `entregado` cannot be cancelled, so nothing earned can be lost after delivery.
//! Balance is computed from the ledger (first in, first out) so expiry needs no job.

pub mod api;
pub mod ledger;
pub mod pages;
pub mod settings_pages;
pub mod store;
pub mod whatsapp;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `puntos` or `sellos`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Program {
    /// `puntos` (per whole currency unit) or `sellos` (one per qualifying order).
    pub tipo: String,
    /// Minor units spent per point, e.g. 100 = one point per S/ 1.00 (ignored for stamps).
    /// Kept in minor units so it needs no currency table.
    #[serde(default = "hundred")]
    pub monto_por_punto: i64,
    /// Minimum order total (minor units) that earns.
    #[serde(default)]
    pub pedido_minimo: i64,
    /// Days an earned point stays valid; absent: never expires.
    pub vigencia_dias: Option<i64>,
    #[serde(default = "yes")]
    pub activo: bool,
}

fn hundred() -> i64 {
    100
}
fn yes() -> bool {
    true
}

impl Program {
    /// What an order total earns under this program (0 when it does not qualify).
    pub fn earned(&self, total: i64) -> i64 {
        if !self.activo || total <= 0 || total < self.pedido_minimo {
            return 0;
        }
        match self.tipo.as_str() {
            "sellos" => 1,
            _ => total / self.monto_por_punto.max(1),
        }
    }

    pub fn validate(&self) -> Result<(), crate::error::AppError> {
        use crate::error::{AppError, msg};
        if !matches!(self.tipo.as_str(), "puntos" | "sellos") {
            return Err(AppError::validation(
                "tipo",
                "invalid_type",
                msg("Tipo: puntos o sellos.", "Type: puntos or sellos."),
            ));
        }
        if !(1..=100_000_000).contains(&self.monto_por_punto)
            || self.pedido_minimo < 0
            || self.vigencia_dias.is_some_and(|d| !(1..=3650).contains(&d))
        {
            return Err(AppError::validation(
                "programa",
                "out_of_range",
                msg(
                    "Valores fuera de rango (vigencia 1–3650 días).",
                    "Values out of range (validity 1–3650 days).",
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reward {
    pub id: i64,
    pub nombre: String,
    /// Points or stamps it takes.
    pub costo: i64,
    /// Minor units taken off the order when redeemed at order time.
    pub descuento: i64,
    pub activo: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardInput {
    pub nombre: String,
    pub costo: i64,
    #[serde(default)]
    pub descuento: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Movement {
    pub id: i64,
    /// gana, canje, reverso, ajuste.
    pub tipo: String,
    pub puntos: i64,
    #[schema(value_type = Option<String>)]
    pub pedido_id: Option<i64>,
    pub recompensa_id: Option<i64>,
    pub nota: Option<String>,
    pub vence_en: Option<i64>,
    pub creado_en: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(tipo: &str) -> Program {
        Program {
            tipo: tipo.into(),
            monto_por_punto: 50,
            pedido_minimo: 1000,
            vigencia_dias: None,
            activo: true,
        }
    }

    #[test]
    fn stamps_need_a_qualifying_order_and_points_count_whole_units() {
        assert_eq!(program("sellos").earned(999), 0);
        assert_eq!(program("sellos").earned(5000), 1);
        assert_eq!(program("puntos").earned(4599), 91);
    }
}
