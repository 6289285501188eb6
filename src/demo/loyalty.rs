//! Gollos Chicken's loyalty demo: a stamps program (one stamp per order from S/ 20), three
//! rewards, the "2x1 los martes" promotion, stamps earned by the last year's orders (written
//! with the orders, see [`Stamps`]) and a few redemptions, so the customer page, the counter and "mis puntos" show real balances.

use rusqlite::{Connection, params};

use crate::error::AppError;

const DAY_MS: i64 = 86_400_000;
/// A stamp's validity, and how far back the orders that earned one go.
const STAMP_DAYS: i64 = 365;
/// The program's minimum order for a stamp (minor units).
const STAMP_MINIMUM: i64 = 2000;

/// One stamp per qualifying, not cancelled order of the last year, valid a year: decided
/// while the orders are generated, so the ledger rows go in with them (sealed note included)
/// instead of being selected back from the loaded orders.
#[derive(Clone, Copy)]
pub struct Stamps {
    since: i64,
}

impl Stamps {
    /// The rule for brand `slug` (only Gollos runs the stamps program).
    pub fn of(slug: &str, now: i64) -> Option<Stamps> {
        (slug == "gollos").then_some(Stamps {
            since: now - STAMP_DAYS * DAY_MS,
        })
    }

    /// When the stamp of an order placed `at` for `total` in status `estado` expires, if
    /// the order earns one.
    pub fn earned(&self, at: i64, total: i64, estado: &str) -> Option<i64> {
        (estado != "cancelado" && total >= STAMP_MINIMUM && at >= self.since)
            .then_some(at + STAMP_DAYS * DAY_MS)
    }

    /// The ledger note of the stamp for order `id` (sealed by the caller).
    pub fn note(id: i64) -> String {
        format!("Pedido {id}")
    }
}

pub fn seed(conn: &Connection, slug: &str, now: i64) -> Result<(), AppError> {
    if slug != "gollos" {
        return Ok(());
    }
    conn.execute(
        "INSERT OR REPLACE INTO fidelidad_programa (id, tipo, monto_por_punto, pedido_minimo, vigencia_dias, activo, actualizado_en)
         VALUES (1, 'sellos', 100, 2000, 365, 1, ?1)",
        [now],
    )?;
    // Idempotent: after `demo --reset` the rewards and the rule are still there.
    let has_rewards: bool = conn
        .prepare("SELECT 1 FROM fidelidad_recompensas")?
        .exists([])?;
    let rewards: &[(&str, i64, i64)] = if has_rewards {
        &[]
    } else {
        &[
            ("Yuquitas fritas gratis", 5, 990),
            ("1/4 de pollo a la brasa gratis", 8, 2190),
            ("Pollo a la brasa entero gratis", 12, 6490),
        ]
    };
    for &(name, cost, discount) in rewards {
        conn.execute(
            "INSERT INTO fidelidad_recompensas (nombre, costo, descuento, creado_en) VALUES (?1, ?2, ?3, ?4)",
            params![name, cost, discount, now],
        )?;
    }
    conn.execute(
        "INSERT INTO promociones (nombre, tipo, categoria, dias, minuto_desde, minuto_hasta, zona_horaria, creado_en)
         SELECT '2x1 los martes', '2x1', 'Pollo a la brasa', '2', 720, 1380, 'America/Lima', ?1
         WHERE NOT EXISTS (SELECT 1 FROM promociones WHERE nombre = '2x1 los martes')",
        [now],
    )?;
    // The stamps ([`Stamps`]) went in with the orders.
    // The most loyal customers already redeemed the middle reward yesterday.
    conn.execute(
        "INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, recompensa_id, nota, creado_en)
         SELECT m.cliente_id, 'canje', -r.costo, r.id, pii_seal('Canje: ' || r.nombre), ?1
         FROM (SELECT cliente_id, SUM(puntos) AS saldo FROM fidelidad_movimientos
               GROUP BY cliente_id HAVING saldo >= 10 ORDER BY saldo DESC LIMIT 25) m,
              (SELECT id, costo, nombre FROM fidelidad_recompensas WHERE costo = 8 LIMIT 1) r",
        [now - DAY_MS],
    )?;
    Ok(())
}
