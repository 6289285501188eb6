//! Eco Eterno: reusable and low-waste home products, kits and subscriptions, each with its
//! environmental impact per unit (kg of CO₂ and grams of plastic avoided).

use super::catalog::ProductSpec as P;
use super::catalog::Stock::{Between, Untracked};

/// Index-free handle on the subscription products (their sku prefix).
pub const SUBSCRIPTION_PREFIX: &str = "ECO-SUS-";

#[rustfmt::skip]
pub static CATALOG: &[P] = &[
    P::new("ECO-BOL-TOC", "Bolsa de tocuyo estampada", "Bolsas reutilizables", 1_990, Between(20, 180), r#"{"co2_kg_evitado":0.8,"plastico_g_evitado":120,"material":"algodón peruano"}"#).w(10, 8),
    P::new("ECO-BOL-MALLA", "Set de 3 bolsas de malla para frutas y verduras", "Bolsas reutilizables", 2_490, Between(15, 120), r#"{"co2_kg_evitado":0.5,"plastico_g_evitado":90,"material":"algodón orgánico"}"#).w(8, 8),
    P::new("ECO-BOL-RPET", "Bolsa plegable de botellas recicladas (rPET)", "Bolsas reutilizables", 1_490, Between(0, 5), r#"{"co2_kg_evitado":0.4,"plastico_g_evitado":60,"material":"rPET"}"#).w(4, 5),
    P::new("ECO-CEP-ADU", "Cepillo de dientes de bambú adulto", "Cepillos de bambú", 790, Between(40, 400), r#"{"co2_kg_evitado":0.05,"plastico_g_evitado":18,"material":"bambú"}"#).w(10, 12),
    P::new("ECO-CEP-FAM", "Pack familiar: 4 cepillos de bambú", "Cepillos de bambú", 2_790, Between(15, 120), r#"{"co2_kg_evitado":0.2,"plastico_g_evitado":72,"material":"bambú"}"#).w(9, 4),
    P::new("ECO-CEP-NIN", "Cepillo de bambú para niños", "Cepillos de bambú", 690, Between(20, 200), r#"{"co2_kg_evitado":0.05,"plastico_g_evitado":15,"material":"bambú"}"#).w(4, 8),
    P::new("ECO-DET-1L", "Detergente ecológico líquido 1 L (biodegradable)", "Detergente y limpieza", 2_490, Between(20, 150), r#"{"co2_kg_evitado":0.3,"plastico_g_evitado":40,"biodegradable":true}"#).w(12, 5),
    P::new("ECO-DET-3L", "Recarga de detergente ecológico 3 L", "Detergente y limpieza", 5_990, Between(10, 80), r#"{"co2_kg_evitado":0.9,"plastico_g_evitado":150,"biodegradable":true}"#).w(8, 3),
    P::new("ECO-LAV-500", "Lavavajillas ecológico de limón 500 ml", "Detergente y limpieza", 1_690, Between(15, 120), r#"{"co2_kg_evitado":0.15,"plastico_g_evitado":25,"biodegradable":true}"#).w(6, 7),
    P::new("ECO-JAB-MUNA", "Jabón artesanal de glicerina y muña", "Detergente y limpieza", 1_290, Between(20, 160), r#"{"co2_kg_evitado":0.1,"plastico_g_evitado":30,"origen":"Cusco"}"#).w(5, 9),
    P::new("ECO-SHA-SOL", "Shampoo sólido de quinua", "Detergente y limpieza", 2_990, Between(0, 0), r#"{"co2_kg_evitado":0.35,"plastico_g_evitado":85}"#).w(6, 5),
    P::new("ECO-ESP-LUF", "Esponjas vegetales de luffa (pack de 3)", "Detergente y limpieza", 1_490, Between(15, 150), r#"{"co2_kg_evitado":0.1,"plastico_g_evitado":20}"#).w(3, 9),
    P::new("ECO-COC-CERA", "Envoltorios de cera de abejas (set de 3)", "Cocina sin plástico", 3_490, Between(8, 60), r#"{"co2_kg_evitado":0.6,"plastico_g_evitado":200}"#).w(6, 5),
    P::new("ECO-COC-SORB", "Sorbetes de acero inoxidable (4 + limpiador)", "Cocina sin plástico", 1_990, Between(10, 90), r#"{"co2_kg_evitado":0.2,"plastico_g_evitado":110}"#).w(5, 7),
    P::new("ECO-COC-BOT", "Botella térmica de acero 750 ml", "Cocina sin plástico", 6_990, Between(3, 40), r#"{"co2_kg_evitado":2.5,"plastico_g_evitado":1500}"#).w(7, 3),
    P::new("ECO-COC-TAPER", "Táper de vidrio con tapa de bambú 1 L", "Cocina sin plástico", 3_990, Between(5, 50), r#"{"co2_kg_evitado":0.7,"plastico_g_evitado":180}"#).w(4, 3).launched(6),
    P::new("ECO-COMP-20", "Compostera doméstica 20 L con bokashi", "Compostaje", 14_990, Between(1, 12), r#"{"co2_kg_evitado":25.0,"plastico_g_evitado":0,"residuos_kg_evitados_mes":8}"#).w(3, 0),
    P::new("ECO-KIT-INI", "Kit Zero Waste Inicio (bolsa, cepillo, sorbetes, jabón)", "Kits", 8_990, Between(5, 40), r#"{"co2_kg_evitado":1.5,"plastico_g_evitado":330,"regalo":true}"#).w(8, 0),
    P::new("ECO-KIT-BANO", "Kit Baño Sostenible", "Kits", 6_990, Between(3, 30), r#"{"co2_kg_evitado":0.9,"plastico_g_evitado":210}"#).w(5, 0),
    P::new("ECO-KIT-COC", "Kit Cocina Eco", "Kits", 9_990, Between(0, 4), r#"{"co2_kg_evitado":1.8,"plastico_g_evitado":420}"#).w(4, 0),
    P::new("ECO-SUS-HOGAR", "Suscripción mensual: Caja Eco Hogar", "Suscripciones", 7_990, Untracked, r#"{"co2_kg_evitado":1.2,"plastico_g_evitado":260,"periodo":"mensual"}"#).w(0, 0),
    P::new("ECO-SUS-DET", "Suscripción: recarga de detergente cada 4 semanas", "Suscripciones", 5_490, Untracked, r#"{"co2_kg_evitado":0.9,"plastico_g_evitado":150,"periodo":"cada_4_semanas"}"#).w(0, 0),
    P::new("ECO-SUS-CEP", "Suscripción: cepillos de bambú para la familia (bimestral)", "Suscripciones", 2_490, Untracked, r#"{"co2_kg_evitado":0.2,"plastico_g_evitado":72,"periodo":"bimestral"}"#).w(0, 0),
];
