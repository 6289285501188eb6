//! Eco Eterno's education series demo: one series of five sustainability steps with opted-in
//! customers at every stage (just enrolled, midway, finished, removed), the steps they were
//! sent and a few replies captured as WhatsApp interactions linked to their step.

use rusqlite::{Connection, params};

use super::inbox::{Inbox, index_of};
use super::plan::Plan;
use crate::education::store::{self, NewStep};
use crate::error::AppError;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// (days after the previous step, template, text).
const STEPS: &[(i64, &str, &str)] = &[
    (
        0,
        "eco_serie_bienvenida",
        "¡Hola! Cada semana te enviaremos un consejo para un hogar con menos residuos. Primer reto: cuenta cuántas bolsas plásticas usas esta semana.",
    ),
    (
        7,
        "eco_serie_recargas",
        "Consejo 2: una recarga de detergente evita unos 120 g de plástico frente a una botella nueva. ¿Ya probaste nuestras recargas?",
    ),
    (
        7,
        "eco_serie_compost",
        "Consejo 3: los restos de fruta y verdura pueden ser compost. Una caja de 20 litros alcanza para una familia de cuatro.",
    ),
    (
        7,
        "eco_serie_bambu",
        "Consejo 4: un cepillo de bambú se degrada en meses; uno de plástico tarda siglos. Cámbialo cada tres meses.",
    ),
    (
        14,
        "eco_serie_logros",
        "Consejo 5: ¡completaste la serie! Responde «mi impacto» y te contamos cuánto CO₂ y plástico evitaste con tus compras.",
    ),
];

/// Replies some customers gave (to the step they were last sent).
const REPLIES: &[&str] = &[
    "¡Gracias! Esta semana usé 3 bolsas, voy a bajar a cero.",
    "Ya compré la recarga, me encantó.",
    "¿El compost sirve para departamento?",
    "Muy buen dato, lo comparto con mi familia 🌱",
];

/// Adds the series in the demo's main transaction, before the inbox is written: its messages
/// join `inbox`'s threads (so each thread ends with its latest message, steps and replies
/// included). `ids` maps plan indexes to customer ids.
pub fn add(tx: &Connection, plan: &Plan, ids: &[i64], inbox: &mut Inbox) -> Result<(), AppError> {
    if plan.profile.slug != "eco-eterno" {
        return Ok(());
    }
    let now = plan.now;
    tx.execute_batch(
        "DELETE FROM series_envios; DELETE FROM series_inscripciones;
         DELETE FROM series_pasos; DELETE FROM series_educativas;",
    )?;
    let series = store::create(
        tx,
        "Hogar sin residuos",
        "Cinco consejos de sostenibilidad, uno por semana, para clientes que aceptan marketing.",
        false,
        now - 60 * DAY_MS,
    )?;
    let mut steps = Vec::new();
    for (days, template, text) in STEPS {
        let step = NewStep {
            dias: *days,
            plantilla: Some((*template).into()),
            idioma: Some("es".into()),
            texto: (*text).into(),
        };
        steps.push((
            store::add_step(tx, series, &step, now - 60 * DAY_MS)?,
            *days,
        ));
    }
    let customers: Vec<i64> = {
        let mut stmt = tx.prepare(
            "SELECT id FROM clientes WHERE consentimiento_marketing = 1 ORDER BY ultimo_pedido_en DESC, id LIMIT 18",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for (k, customer) in customers.iter().enumerate() {
        // 0..=5 steps done: everyone from just enrolled to finished.
        let done = k % (steps.len() + 1);
        // Enrolled long enough ago for the steps already sent; step n went out on its day.
        let gaps: i64 = steps[..done].iter().map(|s| s.1).sum();
        let enrolled = now - (gaps + 1 + (k as i64 % 3)) * DAY_MS;
        tx.execute(
            "INSERT INTO series_inscripciones (serie_id, cliente_id, estado, pasos_enviados, proximo_en, origen, inscrito_en, actualizado_en)
             VALUES (?1, ?2, 'activa', 0, ?3, ?4, ?3, ?3)",
            params![series, customer, enrolled, if k % 2 == 0 { "personal" } else { "automatica" }],
        )?;
        let enrolment = tx.last_insert_rowid();
        let mut at = enrolled;
        for (n, (step, days)) in steps[..done].iter().enumerate() {
            at += days * DAY_MS;
            // The step as the thread shows a template sent outside the window.
            let (template, text) = (STEPS[n].1, STEPS[n].2);
            let body = format!("[plantilla {template}] {text}");
            tx.execute(
                "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, external_id, metadatos, creado_en)
                 VALUES (?1, 'whatsapp', 'saliente', 'mensaje', pii_seal(?2), ?3, '{}', ?4)",
                params![customer, body, format!("wamid.demo-serie-{enrolment}-{step}"), at],
            )?;
            let index = index_of(ids, *customer)?;
            inbox.see(index, tx.last_insert_rowid(), at, "saliente", &body);
            tx.execute(
                "INSERT INTO series_envios (inscripcion_id, paso_id, enviado_en) VALUES (?1, ?2, ?3)",
                params![enrolment, step, at],
            )?;
            let sent = tx.last_insert_rowid();
            // Every third customer answered the step they were sent last.
            if n + 1 == done && k % 3 == 0 {
                let reply = REPLIES[k % REPLIES.len()];
                let answered = at + 2 * 3600 * 1000;
                tx.execute(
                    "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, external_id, metadatos, creado_en)
                     VALUES (?1, 'whatsapp', 'entrante', 'mensaje', pii_seal(?2), ?3, json_object('serie', json_object('serie_id', ?4, 'paso', ?5)), ?6)",
                    params![customer, reply, format!("wamid.demo-serie-{enrolment}-{step}-r"), series, n + 1, answered],
                )?;
                inbox.see(index, tx.last_insert_rowid(), answered, "entrante", reply);
                tx.execute(
                    "UPDATE series_envios SET respuesta_interaccion_id = ?2, respondido_en = ?3 WHERE id = ?1",
                    params![sent, tx.last_insert_rowid(), answered],
                )?;
            }
        }
        let (status, next) = match steps.get(done) {
            _ if k % 7 == 6 => ("baja", at),
            Some((_, days)) => ("activa", (at + days * DAY_MS).max(now + 3 * 3600 * 1000)),
            None => ("completada", at),
        };
        tx.execute(
            "UPDATE series_inscripciones SET pasos_enviados = ?2, estado = ?3, proximo_en = ?4 WHERE id = ?1",
            params![enrolment, done as i64, status, next],
        )?;
    }
    Ok(())
}
