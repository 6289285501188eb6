//! Environmental impact (impacto): each product may declare what one unit avoids
//! (`atributos.co2_kg`, `atributos.plastico_g`; the demo catalogue's `co2_kg_evitado` and
//! `plastico_g_evitado` are read too); a customer's impact is the sum over their
//! delivered orders. Levels and badges come from fixed thresholds; the brand leaderboard
//! shows only customers who opted in, by first name.

pub mod api;
pub mod pages;

use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// Levels by kg of CO₂ avoided: (threshold, name).
pub const LEVELS: &[(f64, &str)] = &[
    (0.0, "Semilla"),
    (5.0, "Brote"),
    (20.0, "Árbol"),
    (50.0, "Bosque"),
];

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Impact {
    pub co2_kg: f64,
    pub plastico_g: f64,
    /// Delivered orders counted.
    pub pedidos: i64,
    pub nivel: String,
    /// The next level and the kg of CO₂ still missing to reach it.
    pub siguiente_nivel: Option<String>,
    pub faltan_co2_kg: Option<f64>,
    pub insignias: Vec<String>,
}

/// Rounded to grams so sums of floats read as the numbers people expect.
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn level(co2: f64) -> (&'static str, Option<(&'static str, f64)>) {
    let i = LEVELS.iter().rposition(|(t, _)| co2 >= *t).unwrap_or(0);
    let next = LEVELS.get(i + 1).map(|(t, n)| (*n, round3(t - co2)));
    (LEVELS[i].1, next)
}

pub fn badges(co2: f64, plastic: f64, orders: i64) -> Vec<String> {
    let rules: [(bool, &str); 4] = [
        (orders >= 1, "Primera entrega verde"),
        (orders >= 5, "Cliente constante"),
        (plastic >= 1000.0, "1 kg de plástico evitado"),
        (co2 >= 10.0, "10 kg de CO₂ evitados"),
    ];
    rules
        .iter()
        .filter(|(ok, _)| *ok)
        .map(|(_, b)| b.to_string())
        .collect()
}

fn impact(co2: f64, plastic: f64, orders: i64) -> Impact {
    let (co2, plastic) = (round3(co2), round3(plastic));
    let (name, next) = level(co2);
    Impact {
        co2_kg: co2,
        plastico_g: plastic,
        pedidos: orders,
        nivel: name.into(),
        siguiente_nivel: next.map(|(n, _)| n.into()),
        faltan_co2_kg: next.map(|(_, k)| k),
        insignias: badges(co2, plastic, orders),
    }
}

const SUMS: &str =
    "SELECT COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.co2_kg'), json_extract(pr.atributos, '$.co2_kg_evitado'), 0)), 0.0),
        COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.plastico_g'), json_extract(pr.atributos, '$.plastico_g_evitado'), 0)), 0.0),
        COUNT(DISTINCT p.id)
    FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
    LEFT JOIN productos pr ON pr.id = i.producto_id
    WHERE p.estado = 'entregado'";

/// One customer's impact from their delivered orders.
pub fn of_customer(c: &Connection, customer: i64) -> Result<Impact, AppError> {
    let (co2, plastic, orders) = c.query_row(
        &format!("{SUMS} AND p.cliente_id = ?1"),
        params![customer],
        |r| {
            Ok((
                r.get::<_, f64>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    Ok(impact(co2, plastic, orders))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    pub co2_kg: f64,
    pub plastico_g: f64,
    pub pedidos: i64,
    pub clientes: i64,
}

pub fn totals(c: &Connection) -> Result<Totals, AppError> {
    let (co2, plastic, orders) = c.query_row(SUMS, [], |r| {
        Ok((
            r.get::<_, f64>(0)?,
            r.get::<_, f64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let customers: i64 = c.query_row(
        "SELECT COUNT(DISTINCT cliente_id) FROM pedidos WHERE estado = 'entregado'",
        [],
        |r| r.get(0),
    )?;
    Ok(Totals {
        co2_kg: round3(co2),
        plastico_g: round3(plastic),
        pedidos: orders,
        clientes: customers,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranked {
    pub posicion: i64,
    /// First name only.
    pub nombre: String,
    pub co2_kg: f64,
    pub plastico_g: f64,
    pub nivel: String,
}

/// The top `limit` opted-in customers by CO₂ avoided.
pub fn leaderboard(c: &Connection, limit: i64) -> Result<Vec<Ranked>, AppError> {
    let mut stmt = c.prepare(
        "SELECT cl.nombre,
            COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.co2_kg'), json_extract(pr.atributos, '$.co2_kg_evitado'), 0)), 0.0) AS co2,
            COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.plastico_g'), json_extract(pr.atributos, '$.plastico_g_evitado'), 0)), 0.0)
         FROM impacto_ranking r JOIN clientes cl ON cl.id = r.cliente_id
         JOIN pedidos p ON p.cliente_id = cl.id AND p.estado = 'entregado'
         JOIN pedido_items i ON i.pedido_id = p.id
         LEFT JOIN productos pr ON pr.id = i.producto_id
         GROUP BY cl.id HAVING co2 > 0 ORDER BY co2 DESC, cl.id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, f64>(1)?,
            r.get::<_, f64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        let (name, co2, plastic) = row?;
        out.push(Ranked {
            posicion: n as i64 + 1,
            nombre: name.split_whitespace().next().unwrap_or("").to_owned(),
            co2_kg: round3(co2),
            plastico_g: round3(plastic),
            nivel: level(co2).0.into(),
        });
    }
    Ok(out)
}

pub fn set_ranking(c: &Connection, customer: i64, join: bool, now: i64) -> Result<(), AppError> {
    crate::customers::store::get(c, customer)?.ok_or(AppError::NotFound("cliente"))?;
    if join {
        c.execute(
            "INSERT INTO impacto_ranking (cliente_id, creado_en) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![customer, now],
        )?;
    } else {
        c.execute(
            "DELETE FROM impacto_ranking WHERE cliente_id = ?1",
            [customer],
        )?;
    }
    Ok(())
}

/// Numbers the way a person reads them: `12.5`, `3`.
fn num(x: f64) -> String {
    let s = format!("{:.1}", x);
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// The WhatsApp answer to "mi impacto".
pub fn whatsapp_summary(c: &Connection, customer: i64) -> Result<String, AppError> {
    let i = of_customer(c, customer)?;
    if i.pedidos == 0 {
        return Ok(
            "🌱 Aún no tienes pedidos entregados. ¡Con tu primer pedido empiezas a sumar impacto!"
                .into(),
        );
    }
    let mut text = format!(
        "🌍 Tu impacto: {} kg de CO₂ y {} g de plástico evitados en {} pedidos. Nivel: {}.",
        num(i.co2_kg),
        num(i.plastico_g),
        i.pedidos,
        i.nivel
    );
    if let (Some(next), Some(missing)) = (&i.siguiente_nivel, i.faltan_co2_kg) {
        text.push_str(&format!(
            " Te faltan {} kg de CO₂ para ser {next}.",
            num(missing)
        ));
    }
    if !i.insignias.is_empty() {
        text.push_str(&format!(" Insignias: {}.", i.insignias.join(", ")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_badges_follow_the_thresholds() {
        assert_eq!(level(0.0), ("Semilla", Some(("Brote", 5.0))));
        assert_eq!(level(19.5), ("Brote", Some(("Árbol", 0.5))));
        assert_eq!(level(80.0), ("Bosque", None));
        assert_eq!(
            badges(10.0, 999.0, 1),
            vec!["Primera entrega verde", "10 kg de CO₂ evitados"]
        );
        assert_eq!(num(12.0), "12");
        assert_eq!(num(3.26), "3.3");
    }
}
