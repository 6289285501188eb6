//! The mirrored tables of the domains added after the first mirror (tenant migrations V9 and
//! V11-V16, mirror migration V4): campaigns, surveys, reminders, loyalty, promotions,
//! subscriptions, impact leaderboard, restock requests, stock movements, warranties, support
//! tickets, segment and consent history. Listed in [`super::tables::TABLES`].

use super::tables::{Feed, ID, Kind, Table, c, personal, renamed};
use Kind::{Bool, Int, Json, Money, Text, Time};

pub const CAMPANAS: Table = Table {
    name: "campanas",
    columns: &[
        c("id", Int),
        c("nombre", Text),
        c("tipo", Text),
        c("audiencia", Json),
        c("plantilla", Text),
        c("idioma", Text),
        c("variables", Json),
        c("estado", Text),
        c("programada_para", Time),
        c("lanzada_en", Time),
        c("destinatarios", Int),
        c("creado_por", Text),
        c("creado_en", Time),
        c("actualizado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// Campaign sends: one row per (campaign, customer).
pub const CAMPANA_DESTINATARIOS: Table = Table {
    name: "campana_destinatarios",
    columns: &[
        c("campana_id", Int),
        c("cliente_id", Int),
        c("outbox_id", Int),
        c("creado_en", Time),
    ],
    key: &["campana_id", "cliente_id"],
    feed: Feed::Group,
};

pub const AUTOMATIZACIONES: Table = Table {
    name: "automatizaciones",
    columns: &[
        renamed("clave", "automatizacion", Text),
        c("activa", Bool),
        c("plantilla", Text),
        c("idioma", Text),
        c("ajustes", Json),
        c("actualizado_en", Time),
        c("activa_desde", Time),
    ],
    key: &["clave"],
    feed: Feed::Whole,
};

/// Satisfaction surveys (and their answers), one per delivered order.
pub const ENCUESTAS: Table = Table {
    name: "encuestas",
    columns: &[
        c("pedido_id", Int),
        c("cliente_id", Int),
        c("estado", Text),
        c("csat", Int),
        c("nps", Int),
        personal("comentario", Text),
        c("enviada_en", Time),
        c("respondida_en", Time),
    ],
    key: &["pedido_id"],
    feed: Feed::Row,
};

pub const RECORDATORIOS: Table = Table {
    name: "recordatorios",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        personal("texto", Text),
        c("vence_en", Time),
        c("origen", Text),
        renamed("clave", "clave_regla", Text),
        c("creado_por", Text),
        c("hecho_en", Time),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const FIDELIDAD_PROGRAMA: Table = Table {
    name: "fidelidad_programa",
    columns: &[
        c("id", Int),
        c("tipo", Text),
        c("monto_por_punto", Money),
        c("pedido_minimo", Money),
        c("vigencia_dias", Int),
        c("activo", Bool),
        c("actualizado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const FIDELIDAD_RECOMPENSAS: Table = Table {
    name: "fidelidad_recompensas",
    columns: &[
        c("id", Int),
        c("nombre", Text),
        c("costo", Int),
        c("descuento", Money),
        c("activo", Bool),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// The loyalty ledger (points or stamps, signed).
pub const FIDELIDAD_MOVIMIENTOS: Table = Table {
    name: "fidelidad_movimientos",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        c("tipo", Text),
        c("puntos", Int),
        c("pedido_id", Int),
        c("recompensa_id", Int),
        personal("nota", Text),
        c("vence_en", Time),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const PROMOCIONES: Table = Table {
    name: "promociones",
    columns: &[
        c("id", Int),
        c("nombre", Text),
        c("tipo", Text),
        c("porcentaje", Int),
        c("producto_id", Int),
        c("categoria", Text),
        c("dias", Text),
        c("minuto_desde", Int),
        c("minuto_hasta", Int),
        c("segmento", Text),
        c("zona_horaria", Text),
        c("activo", Bool),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// A promotion rule's purchase-history condition (mirror V6), one row at most per rule.
pub const PROMOCION_HISTORIAL: Table = Table {
    name: "promocion_historial",
    columns: &[c("promocion_id", Int), c("sku", Text), c("veces", Int)],
    key: &["promocion_id"],
    feed: Feed::Row,
};

pub const PEDIDO_DESCUENTOS: Table = Table {
    name: "pedido_descuentos",
    columns: &[
        c("id", Int),
        c("pedido_id", Int),
        c("origen", Text),
        c("motivo", Text),
        c("monto", Money),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const SUSCRIPCION_PLANES: Table = Table {
    name: "suscripcion_planes",
    columns: &[
        c("id", Int),
        c("nombre", Text),
        c("items", Json),
        c("precio", Money),
        c("periodo", Text),
        c("cada_semanas", Int),
        c("activo", Bool),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const SUSCRIPCIONES: Table = Table {
    name: "suscripciones",
    columns: &[
        c("id", Int),
        c("plan_id", Int),
        c("cliente_id", Int),
        c("estado", Text),
        c("inicio", Time),
        c("proximo_periodo", Int),
        c("creado_en", Time),
        c("actualizado_en", Time),
        c("cancelada_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// Subscription events: one row per subscription and period (order created, skipped).
pub const SUSCRIPCION_PERIODOS: Table = Table {
    name: "suscripcion_periodos",
    columns: &[
        c("suscripcion_id", Int),
        c("periodo", Int),
        c("fecha", Time),
        c("aviso_en", Time),
        c("saltado", Bool),
        c("pedido_id", Int),
    ],
    key: &["suscripcion_id", "periodo"],
    feed: Feed::Group,
};

pub const IMPACTO_RANKING: Table = Table {
    name: "impacto_ranking",
    columns: &[c("cliente_id", Int), c("creado_en", Time)],
    key: &["cliente_id"],
    feed: Feed::Row,
};

pub const AVISOS_REPOSICION: Table = Table {
    name: "avisos_reposicion",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        c("producto_id", Int),
        c("estado", Text),
        c("origen", Text),
        c("creado_en", Time),
        c("listo_en", Time),
        c("enviado_en", Time),
        c("outbox_id", Int),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const MOVIMIENTOS_STOCK: Table = Table {
    name: "movimientos_stock",
    columns: &[
        c("id", Int),
        c("producto_id", Int),
        c("delta", Int),
        c("stock_resultante", Int),
        c("tipo", Text),
        c("pedido_id", Int),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const GARANTIAS: Table = Table {
    name: "garantias",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        c("pedido_id", Int),
        c("pedido_item_id", Int),
        c("producto_id", Int),
        c("nombre", Text),
        c("meses", Int),
        c("inicio_en", Time),
        c("vence_en", Time),
        c("recordado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const TICKETS_SOPORTE: Table = Table {
    name: "tickets_soporte",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        c("pedido_id", Int),
        c("garantia_id", Int),
        personal("asunto", Text),
        personal("detalle", Text),
        c("estado", Text),
        c("prioridad", Text),
        c("origen", Text),
        c("creado_en", Time),
        c("actualizado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// Segment history ("became VIP this week").
pub const SEGMENTO_CAMBIOS: Table = Table {
    name: "segmento_cambios",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        c("desde", Text),
        c("hacia", Text),
        c("en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// Marketing consent history.
pub const CONSENTIMIENTOS: Table = Table {
    name: "consentimientos",
    columns: &[
        c("id", Int),
        c("cliente_id", Int),
        c("valor", Bool),
        c("fuente", Text),
        c("en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

/// Education series (tenant V19, mirror V5).
pub const SERIES_EDUCATIVAS: Table = Table {
    name: "series_educativas",
    columns: &[
        c("id", Int),
        c("nombre", Text),
        c("descripcion", Text),
        c("activa", Bool),
        c("auto_inscribir", Bool),
        c("creado_en", Time),
        c("actualizado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const SERIES_PASOS: Table = Table {
    name: "series_pasos",
    columns: &[
        c("id", Int),
        c("serie_id", Int),
        c("orden", Int),
        c("dias", Int),
        c("plantilla", Text),
        c("idioma", Text),
        c("texto", Text),
        c("creado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const SERIES_INSCRIPCIONES: Table = Table {
    name: "series_inscripciones",
    columns: &[
        c("id", Int),
        c("serie_id", Int),
        c("cliente_id", Int),
        c("estado", Text),
        c("pasos_enviados", Int),
        c("proximo_en", Time),
        c("origen", Text),
        c("inscrito_en", Time),
        c("actualizado_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};

pub const SERIES_ENVIOS: Table = Table {
    name: "series_envios",
    columns: &[
        c("id", Int),
        c("inscripcion_id", Int),
        c("paso_id", Int),
        c("outbox_id", Int),
        c("enviado_en", Time),
        c("respuesta_interaccion_id", Int),
        c("respondido_en", Time),
    ],
    key: ID,
    feed: Feed::Row,
};
