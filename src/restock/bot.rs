//! The WhatsApp side: "avísame cuando llegue <producto>" registers a restock request.

use rusqlite::Connection;

use crate::error::AppError;
use crate::whatsapp::bot::text::normalize;
use crate::whatsapp::bot::{Ctx, Reply};

const ASK: &[&str] = &[
    "avisame",
    "aviseme",
    "avisenme",
    "avisarme",
    "notificame",
    "notifiquenme",
];

const FILLER: &[&str] = &[
    "cuando", "llegue", "lleguen", "llega", "vuelva", "vuelvan", "haya", "tengan", "repongan",
    "el", "la", "los", "las", "un", "una", "de", "del", "me", "mi", "por", "favor", "porfa", "si",
    "hay", "stock", "otra", "vez", "nuevo", "que", "a", "y", "en", "este", "esta",
];

/// A product as the bot matches it: id, name, stock.
type Candidate = (i64, String, Option<i64>);

/// The product (id, name) the words name best: most of its name words present.
fn best_product(c: &Connection, words: &[&str]) -> Result<Option<Candidate>, AppError> {
    let mut stmt =
        c.prepare_cached("SELECT id, nombre, stock FROM productos WHERE activo = 1 ORDER BY id")?;
    let rows: Vec<Candidate> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut best: Option<(f64, Candidate)> = None;
    for row in rows {
        let name = normalize(&row.1);
        let name_words: Vec<&str> = name.split(' ').filter(|w| w.len() >= 2).collect();
        if name_words.is_empty() {
            continue;
        }
        let hits = name_words
            .iter()
            .filter(|w| {
                words
                    .iter()
                    .any(|x| x == *w || (x.len() >= 4 && strsim::jaro_winkler(x, w) >= 0.9))
            })
            .count();
        let score = hits as f64 / name_words.len() as f64;
        if hits > 0 && score >= 0.5 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, row));
        }
    }
    Ok(best.map(|(_, r)| r))
}

/// Handles a restock request in free text; `None` when the text is not one.
pub fn on_text(c: &Connection, ctx: &Ctx, norm: &str) -> Result<Option<Reply>, AppError> {
    let words: Vec<&str> = norm.split(' ').collect();
    if !words.iter().any(|w| ASK.contains(w)) {
        return Ok(None);
    }
    let rest: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !ASK.contains(w) && !FILLER.contains(w))
        .collect();
    let Some((id, name, stock)) = best_product(c, &rest)? else {
        return Ok(Some(Reply::text(
            ctx,
            "¿De qué producto quieres que te avisemos? Escribe, por ejemplo, «avísame cuando llegue» y el nombre del producto.",
        )));
    };
    if stock != Some(0) {
        return Ok(Some(Reply::text(
            ctx,
            &format!("¡{name} está disponible ahora! Escríbenos tu pedido cuando quieras."),
        )));
    }
    super::request(c, ctx.customer, id, "whatsapp", ctx.now)?;
    Ok(Some(Reply::text(
        ctx,
        &format!("Listo, te avisaremos por aquí cuando llegue {name}. 🔔"),
    )))
}
