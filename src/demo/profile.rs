//! What makes each demo brand behave like itself: its settings, catalogue, opening hours,
//! busy days, channel mix, cancellation rate, how long each order step takes, and the tags
//! and notes its staff write.

use super::catalog::ProductSpec;
use super::{catalog_eco, catalog_goio, catalog_gollos};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gollos,
    Goio,
    Eco,
}

/// Minutes a step takes: uniform in `lo..=hi`.
#[derive(Debug, Clone, Copy)]
pub struct Step(pub u32, pub u32);

pub struct Profile {
    pub kind: Kind,
    pub slug: &'static str,
    pub nombre: &'static str,
    pub moneda: &'static str,
    pub catalog: &'static [ProductSpec],
    /// Relative orders per local hour 0..24.
    pub hours: [u16; 24],
    /// Relative orders per weekday, Monday first.
    pub weekdays: [f64; 7],
    /// Relative orders per month, January first.
    pub months: [f64; 12],
    /// Order channels: whatsapp, web, telefono, presencial.
    pub order_channels: [u32; 4],
    /// Acquisition channels in `customers::ACQUISITION_CHANNELS` order.
    pub acquisition: [u32; 6],
    pub cancel_pct: f64,
    /// Share of delivery orders collected at the shop instead (listo → entregado).
    pub pickup_pct: f64,
    /// recibido→confirmado, →en_preparacion, →listo, →en_camino, →entregado.
    pub steps: [Step; 5],
    /// Chance that a customer asks something on WhatsApp outside an order, per order placed.
    pub chat_rate: f64,
    pub email_pct: u32,
    pub tags: &'static [&'static str],
    pub notes: &'static [&'static str],
    /// Extra lines beyond the main product and its complements: mean of a geometric draw.
    pub extra_lines: f64,
    /// Quantity of the main line: weights for 1, 2, 3, 4.
    pub main_qty: [u32; 4],
}

pub const CHANNELS: [&str; 4] = ["whatsapp", "web", "telefono", "presencial"];

pub static PROFILES: [Profile; 3] = [
    Profile {
        kind: Kind::Gollos,
        slug: "gollos",
        nombre: "Gollos Chicken's",
        moneda: "PEN",
        catalog: catalog_gollos::CATALOG,
        hours: [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 10, 7, 3, 2, 3, 6, 10, 11, 8, 4, 1,
        ],
        weekdays: [0.8, 1.05, 0.85, 0.95, 1.25, 1.5, 1.45],
        months: [
            1.0, 0.95, 0.95, 1.0, 1.05, 1.0, 1.2, 1.0, 0.95, 1.0, 1.0, 1.15,
        ],
        order_channels: [48, 14, 13, 25],
        acquisition: [44, 12, 12, 27, 3, 2],
        cancel_pct: 5.5,
        pickup_pct: 25.0,
        steps: [
            Step(1, 6),
            Step(1, 5),
            Step(12, 25),
            Step(2, 8),
            Step(15, 40),
        ],
        chat_rate: 0.12,
        email_pct: 30,
        tags: &[
            "familia",
            "oficina",
            "delivery",
            "recoge_en_tienda",
            "picante",
            "cumpleaños",
            "fin_de_semana",
        ],
        notes: &[
            "Sin ají, por favor.",
            "Siempre pide pechuga.",
            "Alérgica al maní: avisar en cocina.",
            "Tocar el timbre dos veces; el perro ladra pero no muerde.",
            "Dejar el pedido en portería.",
            "Paga con Yape al recibir.",
            "Prefiere la chicha sin hielo.",
            "Pide boleta con DNI.",
        ],
        extra_lines: 0.6,
        main_qty: [82, 14, 3, 1],
    },
    Profile {
        kind: Kind::Goio,
        slug: "goio",
        nombre: "Goio™ Store",
        moneda: "PEN",
        catalog: catalog_goio::CATALOG,
        hours: [
            1, 1, 0, 0, 0, 0, 0, 1, 1, 2, 4, 6, 7, 7, 6, 6, 7, 8, 9, 9, 7, 5, 3, 2,
        ],
        weekdays: [1.0, 0.95, 0.95, 1.0, 1.15, 1.4, 0.75],
        months: [
            0.85, 0.8, 0.9, 0.9, 1.0, 0.95, 1.3, 1.0, 0.9, 0.95, 1.25, 1.8,
        ],
        order_channels: [36, 34, 8, 22],
        acquisition: [33, 34, 6, 22, 3, 2],
        cancel_pct: 4.0,
        pickup_pct: 20.0,
        steps: [
            Step(5, 180),
            Step(30, 600),
            Step(60, 360),
            Step(30, 900),
            Step(60, 1800),
        ],
        chat_rate: 0.35,
        email_pct: 65,
        tags: &[
            "gamer",
            "empresa",
            "apple",
            "android",
            "estudiante",
            "garantia_activa",
            "mayorista",
        ],
        notes: &[
            "Cliente corporativo: pide factura con RUC.",
            "Interesado en el iPhone 16 Pro cuando baje de precio.",
            "Compró con tarjeta en 12 cuotas.",
            "Prefiere recoger en tienda (Jockey Plaza).",
            "Reportó pantalla con pixel muerto; se cambió el equipo.",
            "Pregunta siempre por accesorios originales.",
        ],
        extra_lines: 0.35,
        main_qty: [93, 5, 1, 1],
    },
    Profile {
        kind: Kind::Eco,
        slug: "eco-eterno",
        nombre: "Eco Eterno",
        moneda: "PEN",
        catalog: catalog_eco::CATALOG,
        hours: [
            0, 0, 0, 0, 0, 0, 1, 2, 5, 8, 9, 8, 6, 5, 5, 5, 5, 6, 7, 8, 8, 6, 3, 1,
        ],
        weekdays: [1.1, 1.0, 1.0, 1.0, 0.95, 1.05, 0.8],
        months: [
            1.1, 0.9, 0.95, 1.1, 1.2, 0.95, 0.95, 1.0, 0.95, 1.0, 1.05, 1.25,
        ],
        order_channels: [42, 38, 4, 16],
        acquisition: [40, 36, 3, 14, 2, 5],
        cancel_pct: 3.5,
        pickup_pct: 10.0,
        steps: [
            Step(10, 240),
            Step(60, 900),
            Step(30, 240),
            Step(60, 720),
            Step(120, 2160),
        ],
        chat_rate: 0.25,
        email_pct: 70,
        tags: &[
            "zero_waste",
            "mama",
            "vegano",
            "compostaje",
            "oficina_verde",
            "regalo",
            "comunidad",
        ],
        notes: &[
            "Pide empaque sin plástico, en caja reutilizada.",
            "Vegana: no enviar productos con cera de abejas.",
            "Interesada en talleres de compostaje.",
            "Compra para su oficina (pide factura).",
            "Devuelve los frascos vacíos para recarga.",
        ],
        extra_lines: 0.9,
        main_qty: [70, 20, 7, 3],
    },
];
