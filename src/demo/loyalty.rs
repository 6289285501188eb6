//! Gollos Chicken's loyalty demo: a stamps program (one stamp per order from S/ 20), three
//! rewards, the "2x1 los martes" promotion, stamps earned by the last year's orders and a
//! few redemptions, so the customer page, the counter and "mis puntos" show real balances.

use rusqlite::{Connection, params};

use crate::error::AppError;

const DAY_MS: i64 = 86_400_000;

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
    // One stamp per qualifying, not cancelled order of the last year, valid a year.
    conn.execute(
        "INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, pedido_id, nota, vence_en, creado_en)
         SELECT cliente_id, 'gana', 1, id, pii_seal('Pedido ' || id), creado_en + ?2, creado_en
         FROM pedidos
         WHERE estado <> 'cancelado' AND total >= 2000 AND creado_en >= ?1
         ORDER BY creado_en, id",
        params![now - 365 * DAY_MS, 365 * DAY_MS],
    )?;
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
