//! Free text: confirmations, asking for a person, the FAQ, "¿dónde está mi pedido?", business
//! hours, greetings, Spanish free-text orders, and the two-misunderstandings handoff.

use chrono::Timelike;
use rusqlite::{Connection, OptionalExtension};

use super::catalogue;
use super::menu;
use super::{Ctx, Reply, State, handoff, money, setting};
use crate::error::AppError;
use crate::orders::Status;
use crate::whatsapp::interactive::ListRow;

/// Lowercase, accents removed, punctuation as spaces.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.to_lowercase().chars() {
        let base = match ch {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            c if c.is_alphanumeric() || c == 'ñ' => c,
            _ => ' ',
        };
        out.push(base);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn words(text: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "el", "la", "los", "las", "un", "una", "de", "del", "a", "en", "y", "o", "que", "me", "mi",
        "por", "para", "con", "es", "son", "se", "lo", "al", "su", "tu", "hay", "tienen", "hola",
        "favor", "porfa", "buenas", "buenos", "dias", "tardes", "noches",
    ];
    normalize(text)
        .split(' ')
        .filter(|w| !w.is_empty() && !STOP.contains(w))
        .map(str::to_owned)
        .collect()
}

fn has_any(norm: &str, phrases: &[&str]) -> bool {
    let padded = format!(" {norm} ");
    phrases.iter().any(|p| padded.contains(&format!(" {p} ")))
}

fn similar(a: &str, b: &str) -> bool {
    a == b || (a.len() >= 4 && b.len() >= 4 && strsim::jaro_winkler(a, b) >= 0.9)
}

/// Best FAQ answer for `text`: most question words present (typos tolerated), at least 60 %.
pub fn faq_answer(c: &Connection, text: &str) -> Result<Option<String>, AppError> {
    let asked = words(text);
    if asked.is_empty() {
        return Ok(None);
    }
    let mut stmt = c.prepare_cached("SELECT pregunta, respuesta FROM wa_faq ORDER BY id")?;
    let faqs: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut best: Option<(f64, String)> = None;
    for (q, a) in faqs {
        let qw = words(&q);
        if qw.is_empty() {
            continue;
        }
        let hits = qw
            .iter()
            .filter(|w| asked.iter().any(|x| similar(x, w)))
            .count();
        let score = hits as f64 / qw.len() as f64;
        if score >= 0.6 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, a));
        }
    }
    Ok(best.map(|(_, a)| a))
}

/// Whether the brand is open now (`horario` = "HH:MM-HH:MM" in its zone; absent = always).
pub fn open_now(c: &Connection, ctx: &Ctx) -> Result<bool, AppError> {
    let Some(hours) = setting(c, "horario")? else {
        return Ok(true);
    };
    let minutes = |s: &str| -> Option<u32> {
        let (h, m) = s.trim().split_once(':')?;
        Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
    };
    let Some((from, to)) = hours
        .split_once('-')
        .and_then(|(a, b)| Some((minutes(a)?, minutes(b)?)))
    else {
        return Ok(true);
    };
    let Some(local) = chrono::DateTime::from_timestamp_millis(ctx.now) else {
        return Ok(true);
    };
    let local = local.with_timezone(&ctx.brand.tz());
    let now = local.hour() * 60 + local.minute();
    Ok(if from <= to {
        now >= from && now < to
    } else {
        now >= from || now < to
    })
}

fn where_is_my_order(c: &Connection, ctx: &Ctx) -> Result<Reply, AppError> {
    let last: Option<(i64, String, i64)> = c
        .query_row(
            "SELECT id, estado, total FROM pedidos WHERE cliente_id = ?1 ORDER BY creado_en DESC, id DESC LIMIT 1",
            [ctx.customer],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(match last {
        Some((id, status, total)) => {
            let label = Status::parse(&status)
                .map(Status::label)
                .unwrap_or("En proceso");
            Reply::text(
                ctx,
                &format!(
                    "Tu pedido {} ({}) está: {}.",
                    catalogue::order_id(ctx, id),
                    money(ctx.brand, total),
                    label.to_lowercase()
                ),
            )
        }
        None => Reply::buttons(
            ctx,
            "No encontramos pedidos tuyos todavía. ¿Quieres pedir algo?",
            &[("menu", "Ver menú")],
        ),
    })
}

/// Handles a text (or a template button label) and returns the reply, if any.
pub fn on_text(
    c: &Connection,
    ctx: &Ctx,
    state: &mut State,
    wamid: &str,
    body: &str,
) -> Result<Option<Reply>, AppError> {
    // While a person handles the conversation the bot stays quiet.
    if crate::conversations::store::needs_human(c, ctx.customer)? {
        return Ok(None);
    }
    let norm = normalize(body);
    // Subscribing from WhatsApp may be waiting for the delivery address. A text that reads as
    // an order is not one: the wait ends and the message is handled as usual.
    if state.step.starts_with("sus_dir:")
        && !ctx
            .preparsed
            .parse(body, &catalogue::for_parser(c)?)
            .lines
            .is_empty()
    {
        state.step = "inicio".into();
    }
    if let Some(reply) = crate::subscriptions::bot::on_address(c, ctx, state, &norm, body)? {
        return Ok(Some(reply));
    }
    const YES: &[&str] = &[
        "si",
        "sii",
        "confirmo",
        "confirmar",
        "ok",
        "dale",
        "listo",
        "de acuerdo",
        "correcto",
    ];
    if state.step == "confirmar" && !state.cart.is_empty() {
        if has_any(&norm, YES) {
            return menu::confirm(c, ctx, state, wamid).map(Some);
        }
        if has_any(&norm, &["no", "cancelar", "cancela", "cancelo"]) {
            return menu::on_choice(c, ctx, state, wamid, "cart:cancel");
        }
    }
    // A cross-sell offer waits: "sí" adds the product, "no" places the order as it was.
    if let Some(sku) = state.step.strip_prefix("venta:").map(str::to_owned)
        && !state.cart.is_empty()
    {
        // "No" first: in doubt, nothing is added to the customer's order.
        if has_any(&norm, &["no", "asi nomas", "asi esta bien"]) {
            return menu::on_choice(c, ctx, state, wamid, "venta:no");
        }
        if has_any(&norm, YES) || has_any(&norm, &["agregalo", "agregar", "agrega"]) {
            return menu::on_choice(c, ctx, state, wamid, &format!("venta:si:{sku}"));
        }
    }
    if has_any(
        &norm,
        &[
            "persona",
            "humano",
            "asesor",
            "asesora",
            "agente",
            "operador",
            "alguien",
            "encargado",
        ],
    ) {
        return handoff(c, ctx, state, "El cliente pidió hablar con una persona").map(Some);
    }
    if let Some(reply) = super::rewards::on_text(c, ctx, &norm)? {
        state.misunderstandings = 0;
        return Ok(Some(reply));
    }
    // Eco Eterno subscriptions: "quiero suscribirme", "mi suscripción".
    if let Some(reply) = crate::subscriptions::bot::on_text(c, ctx, &norm)? {
        state.misunderstandings = 0;
        return Ok(Some(reply));
    }
    // Goio restock alerts: "avísame cuando llegue <producto>".
    if let Some(reply) = crate::restock::bot::on_text(c, ctx, &norm)? {
        state.misunderstandings = 0;
        return Ok(Some(reply));
    }
    if let Some(answer) = faq_answer(c, body)? {
        state.misunderstandings = 0;
        return Ok(Some(Reply::text(ctx, &answer)));
    }
    if norm.contains("pedido")
        && has_any(
            &norm,
            &["donde", "estado", "llega", "demora", "falta", "viene"],
        )
    {
        state.misunderstandings = 0;
        return where_is_my_order(c, ctx).map(Some);
    }
    if norm.contains("mi impacto") || norm.trim() == "impacto" {
        state.misunderstandings = 0;
        let summary = crate::impact::whatsapp_summary(c, ctx.customer)?;
        return Ok(Some(Reply::text(ctx, &summary)));
    }
    if !open_now(c, ctx)? {
        let text = setting(c, "fuera_de_horario")?.unwrap_or_else(|| {
            "Ahora estamos cerrados. Te responderemos apenas abramos. ¡Gracias por escribirnos!"
                .into()
        });
        return Ok(Some(Reply::text(ctx, &text)));
    }
    if has_any(
        &norm,
        &[
            "hola",
            "buenas",
            "buenos dias",
            "buenas tardes",
            "buenas noches",
            "menu",
            "carta",
            "pedir",
            "quiero pedir",
        ],
    ) && norm.split(' ').count() <= 4
    {
        state.misunderstandings = 0;
        return menu::categories(
            c,
            ctx,
            "¡Hola! 👋 Bienvenido. Elige una categoría para pedir:",
            0,
        )
        .map(Some);
    }
    let parsed = ctx.preparsed.parse(body, &catalogue::for_parser(c)?);
    if !parsed.lines.is_empty() || !parsed.ambiguous.is_empty() {
        state.misunderstandings = 0;
        for line in &parsed.lines {
            catalogue::add(&mut state.cart, &line.sku, line.quantity);
        }
        if let Some(amb) = parsed.ambiguous.first() {
            let names = catalogue::items(c)?;
            let rows: Vec<ListRow> = amb
                .candidates
                .iter()
                .take(10)
                .filter_map(|sku| names.iter().find(|i| &i.sku == sku))
                .map(|i| {
                    ListRow::new(format!("amb:{}:{}", amb.quantity, i.sku), &i.name)
                        .description(money(ctx.brand, i.price))
                })
                .collect();
            let body = format!("¿A cuál te refieres con «{}»?", amb.fragment);
            let built = crate::whatsapp::interactive::ListMessage::new(&body, "Elegir")
                .section("Opciones", rows)
                .build();
            if let Ok(i) = built {
                return Ok(Some(Reply {
                    message: crate::whatsapp::OutboundMessage::interactive(
                        crate::whatsapp::queue::recipient(ctx.destination),
                        i,
                    ),
                    summary: body,
                }));
            }
        }
        state.step = "confirmar".into();
        let mut intro = "Entendí esto:".to_owned();
        if !parsed.unknown.is_empty() {
            intro = format!("No encontré: {}. El resto:", parsed.unknown.join(", "));
        }
        return catalogue::summary(c, ctx, &state.cart, &intro).map(Some);
    }
    state.misunderstandings += 1;
    if state.misunderstandings >= 2 {
        return handoff(c, ctx, state, "El bot no entendió dos veces").map(Some);
    }
    Ok(Some(Reply::buttons(
        ctx,
        "Perdona, no te entendí. Puedes ver el menú o escribir tu pedido, por ejemplo «2 pollos y una gaseosa».",
        &[("menu", "Ver menú"), ("human", "Hablar con alguien")],
    )))
}
