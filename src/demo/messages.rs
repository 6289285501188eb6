//! The interactions around an order, in Spanish: the WhatsApp request and confirmation,
//! status notifications, post-delivery surveys, phone-order call notes and e-mail
//! confirmations. Each carries an external id like the channel would give it.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::calendar::MINUTE;
use super::catalog::Line;
use super::people::pick;
use super::plan::{Plan, PlannedCustomer, PlannedOrder};
use super::profile::Kind;
use super::script::Script;
use crate::orders::Status;

/// One interaction row, as `interactions::store::insert` would write it.
pub struct Row {
    pub canal: &'static str,
    pub direccion: &'static str,
    pub tipo: &'static str,
    pub cuerpo: String,
    pub external_id: Option<String>,
    pub pedido_id: Option<i64>,
    pub metadatos: String,
    pub at: i64,
}

/// Collects rows and numbers external ids so they are unique within the brand.
#[derive(Default)]
pub struct Out {
    pub rows: Vec<Row>,
    counter: u64,
}

impl Out {
    /// A WhatsApp Cloud API style message id.
    pub fn wamid(&mut self, rng: &mut SmallRng, phone: u32) -> Option<String> {
        self.counter += 1;
        Some(format!(
            "wamid.HBgLNTE{phone}FQIAEhgU{:016X}{:06X}",
            rng.r#gen::<u64>(),
            self.counter
        ))
    }

    pub fn call_id(&mut self) -> Option<String> {
        self.counter += 1;
        Some(format!("pbx-{:08}", self.counter))
    }

    pub fn mail_id(&mut self) -> Option<String> {
        self.counter += 1;
        Some(format!("mail-{:08}@notificaciones", self.counter))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        canal: &'static str,
        direccion: &'static str,
        tipo: &'static str,
        cuerpo: String,
        external_id: Option<String>,
        pedido_id: Option<i64>,
        metadatos: String,
        at: i64,
    ) {
        self.rows.push(Row {
            canal,
            direccion,
            tipo,
            cuerpo,
            external_id,
            pedido_id,
            metadatos,
            at,
        });
    }
}

/// `S/ 1,599.00`: Peruvian soles with thousands separators.
pub fn money(currency: &str, cents: i64) -> String {
    let symbol = match currency {
        "PEN" => "S/ ",
        "USD" => "US$ ",
        other => other,
    };
    let units = (cents / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + 4);
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{symbol}{grouped}.{:02}", cents % 100)
}

fn summary(plan: &Plan, lines: &[Line]) -> String {
    let name = |l: &Line| plan.catalog.specs[usize::from(l.product)].nombre;
    let first = &lines[0];
    let mut s = if first.qty > 1 {
        format!("{} × {}", first.qty, name(first))
    } else {
        name(first).to_string()
    };
    match lines.len() {
        1 => {}
        2 => s = format!("{s} y {}", name(&lines[1])),
        n => s = format!("{s} y {} productos más", n - 1),
    }
    s
}

pub fn district(c: &PlannedCustomer) -> &str {
    c.person
        .address
        .as_deref()
        .and_then(|a| a.rsplit(", ").nth(1))
        .unwrap_or("Miraflores")
}

/// Every interaction of one order, appended to `out`.
pub fn for_order(plan: &Plan, o: &PlannedOrder, id: i64, script: &Script, out: &mut Out) {
    let c = &plan.customers[o.customer as usize];
    let mut rng = SmallRng::seed_from_u64(o.seed ^ 0x005e_ed0f_0de5);
    let lines = plan.order_lines(o);
    let what = summary(plan, lines);
    let total = money(plan.profile.moneda, o.subtotal);
    let first = c.person.first;
    let kind = plan.profile.kind;
    let main = plan.catalog.specs[usize::from(lines[0].product)];
    if main
        .sku
        .starts_with(super::catalog_eco::SUBSCRIPTION_PREFIX)
        && c.has_phone
        && c.consent
    {
        let at = o.at - rng.gen_range(20 * 60 * MINUTE..28 * 60 * MINUTE);
        if at > c.created_at {
            let body = format!(
                "Hola {first} 🌱 mañana preparamos tu «{}». Responde PAUSAR si este mes no la necesitas u OMITIR para saltar este envío.",
                main.nombre
            );
            let ext = out.wamid(&mut rng, c.person.phone);
            let meta = format!(r#"{{"suscripcion":"{}","recordatorio":true}}"#, main.sku);
            out.push("whatsapp", "saliente", "mensaje", body, ext, None, meta, at);
        }
    }
    match o.channel {
        0 if c.has_phone => {
            let phone = c.person.phone;
            let ask = request(&mut rng, kind, &what, district(c));
            let asked = o.at - rng.gen_range(MINUTE..5 * MINUTE);
            let ext = out.wamid(&mut rng, phone);
            out.push(
                "whatsapp",
                "entrante",
                "mensaje",
                ask,
                ext,
                Some(id),
                "{}".into(),
                asked,
            );
            if let Some(at) = script.reached(Status::Confirmado) {
                let body = confirmation(plan, lines, kind, first, id, &what, &total);
                let ext = out.wamid(&mut rng, phone);
                out.push(
                    "whatsapp",
                    "saliente",
                    "mensaje",
                    body,
                    ext,
                    Some(id),
                    "{}".into(),
                    at,
                );
            }
            notify(plan, o, id, script, &mut rng, out);
        }
        2 => {
            let pay = *pick(
                &mut rng,
                &["Yape", "efectivo", "tarjeta (POS al delivery)", "Plin"],
            );
            let body =
                format!("Llamada entrante: {first} pide {what}. Total {total}; paga con {pay}.");
            let meta = format!(r#"{{"duracion_s":{}}}"#, rng.gen_range(45..420));
            let ext = out.call_id();
            out.push(
                "telefono",
                "entrante",
                "llamada",
                body,
                ext,
                Some(id),
                meta,
                o.at,
            );
        }
        1 => {
            if let (Some(email), Some(at)) = (&c.person.email, script.reached(Status::Confirmado)) {
                let body = format!("Confirmación del pedido #{id} ({total}) enviada a {email}.");
                let ext = out.mail_id();
                out.push(
                    "email",
                    "saliente",
                    "estado_pedido",
                    body,
                    ext,
                    Some(id),
                    "{}".into(),
                    at,
                );
            }
            if c.has_phone && c.consent {
                notify(plan, o, id, script, &mut rng, out);
            }
        }
        _ => {}
    }
}

fn request(rng: &mut SmallRng, kind: Kind, what: &str, district: &str) -> String {
    let greeting = *pick(
        rng,
        &[
            "Hola",
            "Buenas",
            "Hola, buenas",
            "Buenas tardes",
            "Buenas noches",
            "Holaa",
        ],
    );
    match (kind, rng.gen_range(0..4)) {
        (Kind::Gollos, 0) => {
            format!("{greeting}, quiero pedir {what} para delivery a {district} 🙏")
        }
        (Kind::Gollos, 1) => format!("{greeting}! Me envían {what} por favor. ¿Cuánto demora?"),
        (Kind::Gollos, 2) => format!("{greeting}, para recoger en tienda: {what}. Pago con Yape"),
        (Kind::Gollos, _) => format!("{what} porfa 🍗"),
        (Kind::Goio, 0) => format!("{greeting}, ¿tienen {what} en stock? Lo quiero"),
        (Kind::Goio, 1) => format!("{greeting}, quiero comprar {what}. ¿Hacen envío a {district}?"),
        (Kind::Goio, 2) => format!("{greeting}! Me interesa {what}, ¿aceptan pago en cuotas?"),
        (Kind::Goio, _) => format!("Quiero separar {what}, paso hoy por la tienda"),
        (Kind::Eco, 0) => format!("{greeting} 🌱 quiero {what}"),
        (Kind::Eco, 1) => format!("{greeting}, ¿me separan {what}? Envío a {district} por favor"),
        (Kind::Eco, 2) => format!("{greeting}, quisiera {what}. ¿Viene en empaque sin plástico?"),
        (Kind::Eco, _) => format!("Hola! Otra vez yo 😊 {what} por favor"),
    }
}

fn confirmation(
    plan: &Plan,
    lines: &[Line],
    kind: Kind,
    first: &str,
    id: i64,
    what: &str,
    total: &str,
) -> String {
    match kind {
        Kind::Gollos => format!(
            "¡Hola {first}! 🐔 Tu pedido #{id} está confirmado: {what}. Total: {total}. Te avisamos cuando salga."
        ),
        Kind::Goio => format!(
            "¡Gracias {first}! Tu pedido #{id} ({what}) está confirmado. Total {total}. Te avisamos cuando salga a reparto 📦"
        ),
        Kind::Eco => {
            let plastic: i64 = lines
                .iter()
                .map(|l| plan.catalog.plastic_g(usize::from(l.product)) * i64::from(l.qty))
                .sum();
            format!(
                "¡Gracias {first}! 🌎 Tu pedido #{id} está confirmado. Total {total}. Con esta compra evitas {plastic} g de plástico."
            )
        }
    }
}

/// Status notifications, and a satisfaction survey after some deliveries.
fn notify(
    plan: &Plan,
    o: &PlannedOrder,
    id: i64,
    script: &Script,
    rng: &mut SmallRng,
    out: &mut Out,
) {
    let c = &plan.customers[o.customer as usize];
    let phone = c.person.phone;
    let first = c.person.first;
    let kind = plan.profile.kind;
    if let Some(at) = script.reached(Status::EnCamino) {
        let body = match kind {
            Kind::Gollos => format!("🛵 Tu pedido #{id} ya salió. ¡Prepara la mesa, {first}!"),
            Kind::Goio => {
                format!("📦 Tu pedido #{id} está en camino. Llega hoy; ten tu DNI a la mano.")
            }
            Kind::Eco => format!("🚲 Tu pedido #{id} va en camino (reparto en bicicleta)."),
        };
        let ext = out.wamid(rng, phone);
        out.push(
            "whatsapp",
            "saliente",
            "estado_pedido",
            body,
            ext,
            Some(id),
            "{}".into(),
            at,
        );
    }
    if let Some(at) = script.reached(Status::Cancelado) {
        let note = script.cancel_note.unwrap_or("");
        let body = format!("Lo sentimos, {first}: tu pedido #{id} fue cancelado. {note}");
        let ext = out.wamid(rng, phone);
        out.push(
            "whatsapp",
            "saliente",
            "estado_pedido",
            body,
            ext,
            Some(id),
            "{}".into(),
            at,
        );
    }
    let Some(delivered) = script.reached(Status::Entregado) else {
        return;
    };
    if rng.gen_bool(0.4) {
        let body = match kind {
            Kind::Gollos => format!("Tu pedido #{id} fue entregado. ¡Buen provecho, {first}! 🍗"),
            Kind::Goio => {
                let months = plan
                    .catalog
                    .warranty_months(usize::from(plan.order_lines(o)[0].product));
                format!(
                    "Pedido #{id} entregado. Tu garantía de {months} meses empieza hoy; guarda tu boleta."
                )
            }
            Kind::Eco => {
                format!("Pedido #{id} entregado. ¡Gracias por elegir lo reutilizable, {first}! 🌱")
            }
        };
        let ext = out.wamid(rng, phone);
        out.push(
            "whatsapp",
            "saliente",
            "estado_pedido",
            body,
            ext,
            Some(id),
            "{}".into(),
            delivered,
        );
    }
    let asked = delivered + rng.gen_range(30 * MINUTE..120 * MINUTE);
    if !rng.gen_bool(0.2) || asked >= plan.now {
        return;
    }
    let body = format!("{first}, ¿cómo estuvo tu pedido #{id}? Califícanos del 1 al 5 ⭐");
    let ext = out.wamid(rng, phone);
    out.push(
        "whatsapp",
        "saliente",
        "encuesta",
        body,
        ext,
        Some(id),
        r#"{"encuesta":"post_entrega"}"#.into(),
        asked,
    );
    let answered = asked + rng.gen_range(2 * MINUTE..180 * MINUTE);
    if !rng.gen_bool(0.65) || answered >= plan.now {
        return;
    }
    let (score, text) = match rng.gen_range(0..100) {
        0..=54 => (5, "5, todo riquísimo y puntual 👌"),
        55..=79 => (4, "4, muy bien pero demoró un poquito"),
        80..=89 => (3, "3, faltaron las cremas / el accesorio que pedí"),
        90..=95 => (2, "2, llegó tarde"),
        _ => (1, "1. Llegó incompleto, nadie me respondió"),
    };
    let meta = format!(r#"{{"encuesta":"post_entrega","puntuacion":{score}}}"#);
    let ext = out.wamid(rng, phone);
    out.push(
        "whatsapp",
        "entrante",
        "encuesta",
        text.to_string(),
        ext,
        Some(id),
        meta,
        answered,
    );
}
