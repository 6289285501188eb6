//! Conversations outside orders, in Spanish: questions and answers on WhatsApp, support and
//! restock requests (Goio), education messages and subscription changes (Eco Eterno), and
//! the notes staff leave on a customer.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::calendar::MINUTE;
use super::messages::{Out, district};
use super::people::pick;
use super::plan::{Chat, Plan};
use super::profile::Kind;

/// Appends the rows of one chat to `out`.
pub fn for_chat(plan: &Plan, chat: &Chat, out: &mut Out) {
    let c = &plan.customers[chat.customer as usize];
    let mut rng = SmallRng::seed_from_u64(chat.seed);
    let first = c.person.first;
    // Staff notes and calls need no WhatsApp number.
    if !c.has_phone || rng.gen_bool(0.15) {
        let body = pick(&mut rng, staff_notes(plan.profile.kind))
            .replace("{n}", &rng.gen_range(1000..9999).to_string());
        out.push(
            "sistema",
            "interna",
            "nota",
            body,
            None,
            None,
            "{}".into(),
            chat.at,
        );
        return;
    }
    if rng.gen_bool(0.08) {
        let body = format!(
            "Se llamó a {first} para confirmar datos de entrega; {}.",
            pick(
                &mut rng,
                &[
                    "no contestó",
                    "confirmó la dirección",
                    "pidió que le escriban por WhatsApp"
                ]
            )
        );
        let meta = format!(r#"{{"duracion_s":{}}}"#, rng.gen_range(0..240));
        let ext = out.call_id();
        out.push(
            "telefono", "saliente", "llamada", body, ext, None, meta, chat.at,
        );
        return;
    }
    let (question, answer, meta) = conversation(plan, &mut rng, first, district(c), c.consent);
    let phone = c.person.phone;
    if let Some(q) = question {
        let ext = out.wamid(&mut rng, phone);
        out.push(
            "whatsapp",
            "entrante",
            "mensaje",
            q,
            ext,
            None,
            "{}".into(),
            chat.at,
        );
    }
    let replied = chat.at + rng.gen_range(MINUTE..25 * MINUTE);
    if replied < plan.now {
        let ext = out.wamid(&mut rng, phone);
        out.push(
            "whatsapp", "saliente", "mensaje", answer, ext, None, meta, replied,
        );
    }
}

type Conversation = (Option<String>, String, String);

fn conversation(
    plan: &Plan,
    rng: &mut SmallRng,
    first: &str,
    district: &str,
    consent: bool,
) -> Conversation {
    let specs = plan.catalog.specs;
    let product = &specs[rng.gen_range(0..specs.len())];
    let item = product.nombre;
    let q = |s: String| Some(s);
    let none = || "{}".to_string();
    match (plan.profile.kind, rng.gen_range(0..5)) {
        (Kind::Gollos, 0) => (q("¿Hasta qué hora atienden hoy?".into()), format!("¡Hola {first}! Atendemos hasta las 11 p. m. todos los días 🐔"), none()),
        (Kind::Gollos, 1) => (q("¿Tienen alguna promo hoy?".into()), "¡Sí! Los martes tenemos 2x1 en 1/4 de pollo y los jueves la chicha de 1 L a mitad de precio 🔥".into(), none()),
        (Kind::Gollos, 2) => (q(format!("¿Hacen delivery a {district}?")), format!("Sí, {first}, llegamos a {district} en unos 40 minutos. El delivery es gratis desde S/ 50."), none()),
        (Kind::Gollos, 3) => (q("¿Aceptan Yape o Plin?".into()), "Aceptamos Yape, Plin, tarjeta y efectivo 👍".into(), none()),
        (Kind::Gollos, _) => (q(format!("¿Cuánto está el {item}?")), format!("{item}: {}. ¿Te lo enviamos?", super::messages::money(plan.profile.moneda, product.precio)), none()),
        (Kind::Goio, 0) => (q(format!("¿El {item} es original? ¿Tiene garantía?")), format!("Sí, {first}: es original, con {} meses de garantía de marca y boleta o factura.", product_warranty(plan, item)), none()),
        (Kind::Goio, 1) => {
            let wanted = out_of_stock(plan, rng).unwrap_or(item);
            (q(format!("Avísame cuando llegue el {wanted} 🙏")), format!("¡Listo {first}! Te escribimos apenas llegue el {wanted}."), format!(r#"{{"alerta_restock":true,"producto":"{}"}}"#, wanted.replace('"', "'")))
        }
        (Kind::Goio, 2) => (q(format!("Mi {item} no carga bien, ¿qué hago?")), "Lamentamos el inconveniente. Tráelo a la tienda con tu boleta y lo revisamos por garantía en 48 h.".into(), r#"{"soporte":true}"#.into()),
        (Kind::Goio, 3) => (q("¿Hacen precio por cantidad? Es para mi empresa".into()), "Claro, para 5 unidades o más te damos precio corporativo y factura. ¿Qué modelos necesitas?".into(), none()),
        (Kind::Goio, _) => (q(format!("¿Tienen el {item} en otro color?")), format!("Por ahora lo tenemos en negro y blanco, {first}. ¿Te separo uno?"), none()),
        (Kind::Eco, 0) if consent => {
            let step = rng.gen_range(1..9);
            let tip = *pick(rng, &[
                "un cepillo de bambú evita unos 18 g de plástico al año",
                "una bolsa de tocuyo reemplaza cientos de bolsas plásticas",
                "el detergente biodegradable no contamina el agua de tu casa",
                "compostar en casa reduce hasta 8 kg de basura al mes",
            ]);
            (None, format!("🌱 Dato eco #{step}: {tip}. ¡Gracias por ser parte del cambio, {first}!"), format!(r#"{{"serie":"educacion","paso":{step}}}"#))
        }
        (Kind::Eco, 1) => (q("Quiero pausar mi suscripción este mes".into()), "Listo, pausamos tu suscripción este mes. Te escribimos antes del próximo envío 🌎".into(), r#"{"suscripcion":"pausa"}"#.into()),
        (Kind::Eco, 2) => (q("¿El detergente sirve para ropa de bebé?".into()), "Sí, es hipoalergénico y biodegradable, ideal para ropa de bebé.".into(), none()),
        (Kind::Eco, 3) => (q("¿Cuánto plástico he evitado con mis compras?".into()), format!("¡{first}, con tus compras llevas {} g de plástico evitado! 🐢", rng.gen_range(80..4000)), r#"{"impacto":true}"#.into()),
        (Kind::Eco, _) => (q(format!("¿El {item} viene sin plástico?")), "Sí, todo va en papel kraft o cartón reutilizado ♻️".into(), none()),
    }
}

fn product_warranty(plan: &Plan, name: &str) -> i64 {
    plan.catalog
        .specs
        .iter()
        .position(|p| p.nombre == name)
        .map_or(12, |i| plan.catalog.warranty_months(i))
}

fn out_of_stock<'a>(plan: &'a Plan, rng: &mut SmallRng) -> Option<&'a str> {
    let empty: Vec<usize> = (0..plan.stock.len())
        .filter(|&i| plan.stock[i] == Some(0))
        .collect();
    (!empty.is_empty()).then(|| plan.catalog.specs[empty[rng.gen_range(0..empty.len())]].nombre)
}

fn staff_notes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Gollos => &[
            "Reclamó por papas frías; se le regaló una chicha en el siguiente pedido.",
            "Cliente frecuente: siempre pide extra ají.",
            "Pidió factura a nombre de su empresa (RUC 20{n}).",
            "El motorizado reportó que la dirección no tiene numeración visible.",
        ],
        Kind::Goio => &[
            "Se registró ingreso a servicio técnico (orden ST-{n}).",
            "Se cambió el equipo por falla de fábrica dentro de la garantía.",
            "Cliente corporativo: cotización C-{n} enviada por correo.",
            "Interesado en plan de canje de su equipo anterior.",
        ],
        Kind::Eco => &[
            "Trae frascos para recargar; ofrecer descuento por devolución.",
            "Participó en el taller de compostaje de la comunidad.",
            "Pidió que no se le envíen bolsas de papel extra.",
            "Quiere regalar el Kit Zero Waste a su equipo (cotización {n}).",
        ],
    }
}
