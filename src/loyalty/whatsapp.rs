//! "mis puntos" in WhatsApp: the bot's text handler asks here first (one narrow hook) and
//! gets the balance and the next reward, or `None` to carry on as before.

use rusqlite::Connection;

use super::store;
use crate::error::AppError;

/// The answer to a balance question (`norm` is the bot's normalized text), when the brand
/// runs a program.
pub fn answer(
    conn: &Connection,
    customer_id: i64,
    norm: &str,
    now: i64,
) -> Result<Option<String>, AppError> {
    let asks = norm.split(' ').any(|w| {
        matches!(
            w,
            "puntos"
                | "punto"
                | "sellos"
                | "sello"
                | "fidelidad"
                | "canjear"
                | "canje"
                | "recompensa"
                | "recompensas"
        )
    });
    if !asks {
        return Ok(None);
    }
    let Some(program) = store::program(conn)?.filter(|p| p.activo) else {
        return Ok(None);
    };
    let unit = |n: i64| unit(&program.tipo, n);
    let balance = store::balance(conn, customer_id, now)?;
    let mut text = format!("Tienes {balance} {}.", unit(balance));
    let rewards: Vec<_> = store::rewards(conn)?
        .into_iter()
        .filter(|r| r.activo)
        .collect();
    if let Some(r) = rewards
        .iter()
        .filter(|r| r.costo <= balance)
        .max_by_key(|r| r.costo)
    {
        text.push_str(&format!(
            " Ya puedes canjear: {} ({} {}). Te la ofrecemos al confirmar tu próximo pedido.",
            r.nombre,
            r.costo,
            unit(r.costo)
        ));
    } else if let Some(r) = rewards.iter().min_by_key(|r| r.costo) {
        text.push_str(&format!(
            " Te faltan {} para: {}.",
            r.costo - balance,
            r.nombre
        ));
    }
    Ok(Some(text))
}

/// "sello"/"sellos"/"punto"/"puntos" for `n` under a program of kind `tipo`.
pub fn unit(tipo: &str, n: i64) -> &'static str {
    match (tipo, n == 1) {
        ("sellos", true) => "sello",
        ("sellos", false) => "sellos",
        (_, true) => "punto",
        _ => "puntos",
    }
}
