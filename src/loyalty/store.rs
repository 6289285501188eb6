//! SQL for the loyalty program, its rewards and the ledger.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Movement, Program, Reward, RewardInput};
use crate::error::{AppError, msg};

pub fn program(conn: &Connection) -> Result<Option<Program>, AppError> {
    Ok(conn
        .prepare_cached("SELECT tipo, monto_por_punto, pedido_minimo, vigencia_dias, activo FROM fidelidad_programa WHERE id = 1")?
        .query_row([], |r| {
            Ok(Program {
                tipo: r.get(0)?,
                monto_por_punto: r.get(1)?,
                pedido_minimo: r.get(2)?,
                vigencia_dias: r.get(3)?,
                activo: r.get(4)?,
            })
        })
        .optional()?)
}

pub fn set_program(conn: &Connection, p: &Program, now: i64) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO fidelidad_programa (id, tipo, monto_por_punto, pedido_minimo, vigencia_dias, activo, actualizado_en)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET tipo = ?1, monto_por_punto = ?2, pedido_minimo = ?3,
            vigencia_dias = ?4, activo = ?5, actualizado_en = ?6",
        params![p.tipo, p.monto_por_punto, p.pedido_minimo, p.vigencia_dias, p.activo, now],
    )?;
    Ok(())
}

fn reward_row(r: &rusqlite::Row) -> rusqlite::Result<Reward> {
    Ok(Reward {
        id: r.get(0)?,
        nombre: r.get(1)?,
        costo: r.get(2)?,
        descuento: r.get(3)?,
        activo: r.get(4)?,
    })
}

pub fn rewards(conn: &Connection) -> Result<Vec<Reward>, AppError> {
    Ok(conn
        .prepare_cached("SELECT id, nombre, costo, descuento, activo FROM fidelidad_recompensas ORDER BY costo, id")?
        .query_map([], reward_row)?
        .collect::<Result<_, _>>()?)
}

pub fn reward(conn: &Connection, id: i64) -> Result<Option<Reward>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, nombre, costo, descuento, activo FROM fidelidad_recompensas WHERE id = ?1",
        )?
        .query_row([id], reward_row)
        .optional()?)
}

/// The trimmed name of a valid reward input (create and update refuse the same things).
fn valid_reward(input: &RewardInput) -> Result<String, AppError> {
    let name = input.nombre.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::validation(
            "nombre",
            "invalid_name",
            msg(
                "Nombre de 1 a 200 caracteres.",
                "Name of 1 to 200 characters.",
            ),
        ));
    }
    if !(1..=1_000_000).contains(&input.costo) || !(0..=1_000_000_000).contains(&input.descuento) {
        return Err(AppError::validation(
            "costo",
            "out_of_range",
            msg(
                "Costo o descuento fuera de rango.",
                "Cost or discount out of range.",
            ),
        ));
    }
    Ok(name.to_string())
}

pub fn create_reward(conn: &Connection, input: &RewardInput, now: i64) -> Result<Reward, AppError> {
    let name = valid_reward(input)?;
    conn.execute(
        "INSERT INTO fidelidad_recompensas (nombre, costo, descuento, creado_en) VALUES (?1, ?2, ?3, ?4)",
        params![name, input.costo, input.descuento, now],
    )?;
    reward(conn, conn.last_insert_rowid())?.ok_or_else(|| AppError::internal("reward vanished"))
}

/// Changes a reward's name, cost and discount. Redemptions already in the ledger keep what
/// they cost then (the ledger stores points, not the reward's price).
pub fn update_reward(conn: &Connection, id: i64, input: &RewardInput) -> Result<Reward, AppError> {
    let name = valid_reward(input)?;
    let changed = conn
        .prepare_cached(
            "UPDATE fidelidad_recompensas SET nombre = ?2, costo = ?3, descuento = ?4 WHERE id = ?1",
        )?
        .execute(params![id, name, input.costo, input.descuento])?;
    if changed == 0 {
        return Err(AppError::NotFound("recompensa"));
    }
    reward(conn, id)?.ok_or(AppError::NotFound("recompensa"))
}

/// Deactivates (or brings back) a reward: an inactive one is not offered or redeemable, and
/// stays so the ledger rows that name it keep their meaning.
pub fn set_reward_active(conn: &Connection, id: i64, active: bool) -> Result<(), AppError> {
    let changed = conn
        .prepare_cached("UPDATE fidelidad_recompensas SET activo = ?2 WHERE id = ?1")?
        .execute(params![id, active])?;
    if changed == 0 {
        return Err(AppError::NotFound("recompensa"));
    }
    Ok(())
}

/// The customer's ledger, oldest first.
pub fn movements(conn: &Connection, customer_id: i64) -> Result<Vec<Movement>, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, tipo, puntos, pedido_id, recompensa_id, pii_open(nota), vence_en, creado_en
             FROM fidelidad_movimientos WHERE cliente_id = ?1 ORDER BY id",
        )?
        .query_map([customer_id], |r| {
            Ok(Movement {
                id: r.get(0)?,
                tipo: r.get(1)?,
                puntos: r.get(2)?,
                pedido_id: r.get(3)?,
                recompensa_id: r.get(4)?,
                nota: r.get(5)?,
                vence_en: r.get(6)?,
                creado_en: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The customer's balance now (FIFO with expiry).
pub fn balance(conn: &Connection, customer_id: i64, now: i64) -> Result<i64, AppError> {
    Ok(super::ledger::balance(&movements(conn, customer_id)?, now))
}

#[allow(clippy::too_many_arguments)]
pub fn append(
    conn: &Connection,
    customer_id: i64,
    kind: &str,
    points: i64,
    order_id: Option<i64>,
    reward_id: Option<i64>,
    note: Option<&str>,
    expires: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, pedido_id, recompensa_id, nota, vence_en, creado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, pii_seal(?6), ?7, ?8)",
    )?
    .execute(params![customer_id, kind, points, order_id, reward_id, note, expires, now])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn append_returning(
    conn: &Connection,
    customer_id: i64,
    kind: &str,
    points: i64,
    order_id: Option<i64>,
    reward_id: Option<i64>,
    note: Option<&str>,
    now: i64,
) -> Result<i64, AppError> {
    append(
        conn,
        customer_id,
        kind,
        points,
        order_id,
        reward_id,
        note,
        None,
        now,
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn order_has(conn: &Connection, order_id: i64, kind: &str) -> Result<bool, AppError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM fidelidad_movimientos WHERE pedido_id = ?1 AND tipo = ?2")?
        .exists(params![order_id, kind])?)
}

/// What an order moved in total (earned minus redeemed on it, minus reversals so far).
pub fn order_net(conn: &Connection, order_id: i64) -> Result<i64, AppError> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(puntos), 0) FROM fidelidad_movimientos WHERE pedido_id = ?1",
        )?
        .query_row([order_id], |r| r.get(0))?)
}

/// What screens show: the program's kind and the customer's balance now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub tipo: String,
    pub saldo: i64,
}

/// `None` when the brand has no active program.
pub fn summary(conn: &Connection, customer_id: i64, now: i64) -> Result<Option<Summary>, AppError> {
    let Some(p) = program(conn)?.filter(|p| p.activo) else {
        return Ok(None);
    };
    Ok(Some(Summary {
        tipo: p.tipo,
        saldo: balance(conn, customer_id, now)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::in_brand_write;

    #[test]
    fn rewards_are_edited_and_deactivated_and_bad_edits_change_nothing() {
        in_brand_write(|c| {
            let input = |nombre: &str, costo| RewardInput {
                nombre: nombre.into(),
                costo,
                descuento: 700,
            };
            let r = create_reward(c, &input("Chicha", 5), 1)?;
            let r = update_reward(c, r.id, &input(" Chicha grande ", 8))?;
            assert_eq!((r.nombre.as_str(), r.costo), ("Chicha grande", 8));
            assert!(update_reward(c, r.id, &input("", 8)).is_err());
            assert!(update_reward(c, r.id, &input("X", 0)).is_err());
            assert!(update_reward(c, 99, &input("X", 1)).is_err());
            assert_eq!(reward(c, r.id)?.unwrap().nombre, "Chicha grande");
            set_reward_active(c, r.id, false)?;
            assert!(!reward(c, r.id)?.unwrap().activo);
            assert!(set_reward_active(c, 99, true).is_err());
            Ok(())
        });
    }
}
