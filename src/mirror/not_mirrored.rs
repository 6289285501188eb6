//! The brand tables that stay out of the Postgres mirror, each with its reason (listed
//! beside [`super::tables::TABLES`]; a test checks every brand table is in exactly one).

/// Every other table of a brand file, with the reason it stays out of the mirror (a test
/// checks that each brand table is mirrored or listed here).
pub const NOT_MIRRORED: &[(&str, &str)] = &[
    (
        "cifrado",
        "encryption bookkeeping: a keyed check value of the master key and when the one-time \
         sealing finished; no business data",
    ),
    (
        "outbox",
        "delivery plumbing (payloads, leases, retries); business-level sends are mirrored by their own tables",
    ),
    (
        "conversaciones",
        "inbox working state (unread counts, assignment, last preview) that feeds the live inbox; \
         every WhatsApp message itself is mirrored as a row of interacciones",
    ),
    ("changes", "the change feed the mirror itself reads"),
    (
        "auditoria",
        "hash-chained audit trail; it stays on the appliance where `autonomo audit verify` checks it",
    ),
    ("clientes_fts", "full-text search index over clientes"),
    (
        "wa_eventos",
        "raw WhatsApp webhook bodies (personal identifiers), an input log; the messages are in interacciones",
    ),
    (
        "wa_entrantes",
        "WhatsApp delivery bookkeeping (deduplication of inbound ids)",
    ),
    (
        "wa_estados",
        "WhatsApp delivery bookkeeping (message status callbacks)",
    ),
    (
        "wa_salientes",
        "WhatsApp delivery bookkeeping (outbound message ids)",
    ),
    (
        "campana_cola",
        "campaign delivery bookkeeping (recipients still to queue, or left out); the sends are \
         mirrored as campana_destinatarios",
    ),
    (
        "wa_contactos",
        "WhatsApp identities (phone, BSUID, profile name): personal identifiers with no business figure",
    ),
    ("wa_bot", "the bot's short-term conversational memory"),
    (
        "wa_faq",
        "bot configuration (questions and answers), not business data",
    ),
    (
        "wa_sinonimos",
        "bot configuration (product synonyms), not business data",
    ),
    (
        "wa_ajustes",
        "bot configuration (settings), not business data",
    ),
    (
        "reporte_destinatarios",
        "configuration: staff e-mail addresses and Telegram chats that receive reports",
    ),
    (
        "analitica_zona",
        "working state of the SQLite rollups (time-zone offsets); the mirror's views compute in the brand's zone",
    ),
    (
        "analitica_estado",
        "working state of the SQLite analytics jobs (cursors, last runs)",
    ),
    (
        "analitica_dia",
        "rollup derived from pedidos; the mirror's v_metricas_diarias computes it",
    ),
    (
        "analitica_cliente_dia",
        "rollup derived from pedidos; computable from autonomo.pedidos",
    ),
    (
        "analitica_nuevos_dia",
        "rollup derived from clientes; v_metricas_diarias has clientes_nuevos",
    ),
    (
        "analitica_producto_dia",
        "rollup derived from pedido_items; computable from autonomo.pedido_items",
    ),
    (
        "analitica_cliente_mes",
        "rollup derived from pedidos; the mirror's v_cohortes computes cohorts",
    ),
    (
        "analitica_cohorte",
        "rollup derived from pedidos; the mirror's v_cohortes computes cohorts",
    ),
    (
        "analitica_clientes",
        "nightly RFM/CLV model output, recomputed for every customer each night; the mirror's \
         v_rfm and v_clv compute RFM and historical CLV from the mirrored orders",
    ),
    (
        "analitica_activos_dia",
        "rollup derived from pedidos; v_metricas_diarias counts buyers per day (compradores)",
    ),
    (
        "analitica_activos_dia_anterior",
        "customer-days by day and previous order day, derived from pedidos, for the dashboard's distinct active customers",
    ),
    (
        "analitica_segmentos",
        "count derived from clientes.segmento, which is mirrored",
    ),
    (
        "analitica_rfm_celdas",
        "count derived from analitica_clientes (the nightly RFM run); the mirror's v_rfm computes RFM",
    ),
    (
        "analitica_rfm_grupos",
        "count derived from analitica_clientes (the nightly RFM run); the mirror's v_rfm computes RFM",
    ),
    (
        "analitica_clv_tramos",
        "histogram derived from analitica_clientes (the nightly CLV run); the mirror's v_clv computes CLV",
    ),
    (
        "analitica_conversaciones",
        "conversation starts derived from interacciones and pedidos (both mirrored) for the dashboard's conversion",
    ),
    (
        "analitica_mes",
        "monthly sum of analitica_dia (rollup derived from pedidos); v_metricas_diarias has the days",
    ),
    (
        "analitica_nuevos_mes",
        "monthly sum of analitica_nuevos_dia (derived from pedidos)",
    ),
    (
        "analitica_producto_mes",
        "monthly sum of analitica_producto_dia; computable from autonomo.pedido_items",
    ),
    (
        "analitica_activos_mes_dia",
        "customer-months by previous order day, derived from pedidos, for the dashboard's distinct active customers",
    ),
    (
        "analitica_activos_mes",
        "monthly sum of analitica_activos_mes_dia (derived from pedidos)",
    ),
    (
        "analitica_conversion_dia",
        "daily count of analitica_conversaciones (derived from interacciones and pedidos)",
    ),
    (
        "analitica_conversion_mes",
        "monthly sum of analitica_conversion_dia",
    ),
    (
        "analitica_satisfaccion_dia",
        "daily sums of the survey answers; encuestas is mirrored",
    ),
    (
        "analitica_satisfaccion_mes",
        "monthly sum of analitica_satisfaccion_dia",
    ),
    (
        "analitica_impacto_dia",
        "delivered units per product per day, derived from pedidos and pedido_items (both mirrored)",
    ),
    (
        "analitica_impacto_mes",
        "monthly sum of analitica_impacto_dia",
    ),
    (
        "analitica_entregados_dia",
        "delivered orders per day, derived from pedidos and pedido_items (both mirrored)",
    ),
    (
        "analitica_entregados_mes",
        "monthly sum of analitica_entregados_dia",
    ),
];
