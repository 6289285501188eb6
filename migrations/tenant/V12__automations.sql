-- Numbered 12 (written as V6 on a parallel branch): refinery refuses a migration numbered
-- below one an existing database already has.
-- Automations for one brand: WhatsApp campaigns and their recipients, per-brand automatic
-- campaigns and survey settings, satisfaction surveys per order, follow-up reminders and the
-- recipients of the e-mail/Telegram reports. No change-feed triggers yet: these tables are not
-- in the Postgres mirror (that needs a mirror migration), so they stay out of the feed.

CREATE TABLE campanas (
    id                  INTEGER PRIMARY KEY,
    nombre              TEXT NOT NULL,
    tipo                TEXT NOT NULL DEFAULT 'manual',   -- manual | auto_en_riesgo | auto_perdido | auto_nuevo
    audiencia           TEXT NOT NULL DEFAULT '{}',       -- JSON filter (consent is always required)
    plantilla           TEXT NOT NULL,                    -- approved WhatsApp template name
    idioma              TEXT NOT NULL DEFAULT 'es',
    variables           TEXT NOT NULL DEFAULT '[]',       -- JSON: body variables in order (nombre, ultimo_producto)
    estado              TEXT NOT NULL DEFAULT 'borrador'
                        CHECK (estado IN ('borrador', 'programada', 'enviando', 'enviada', 'cancelada')),
    programada_para     INTEGER,
    lanzada_en          INTEGER,
    destinatarios       INTEGER NOT NULL DEFAULT 0,
    creado_por          TEXT NOT NULL DEFAULT 'system',
    creado_en           INTEGER NOT NULL,
    actualizado_en      INTEGER NOT NULL
) STRICT;
CREATE INDEX campanas_programadas ON campanas (programada_para) WHERE estado = 'programada';

-- One row per (campaign, customer); the delivery state lives in outbox + wa_salientes.
CREATE TABLE campana_destinatarios (
    campana_id          INTEGER NOT NULL REFERENCES campanas(id) ON DELETE CASCADE,
    cliente_id          INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    outbox_id           INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    creado_en           INTEGER NOT NULL,
    PRIMARY KEY (campana_id, cliente_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX campana_destinatarios_outbox ON campana_destinatarios (outbox_id);
CREATE INDEX campana_destinatarios_cliente ON campana_destinatarios (cliente_id, campana_id);

-- Per-brand switches: auto_en_riesgo / auto_perdido / auto_nuevo (campaigns), encuesta (surveys).
CREATE TABLE automatizaciones (
    clave               TEXT PRIMARY KEY,
    activa              INTEGER NOT NULL DEFAULT 0 CHECK (activa IN (0, 1)),
    plantilla           TEXT,
    idioma              TEXT NOT NULL DEFAULT 'es',
    ajustes             TEXT NOT NULL DEFAULT '{}',        -- JSON, e.g. {"retraso_min": 60, "nps": true}
    actualizado_en      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One satisfaction survey per delivered order.
CREATE TABLE encuestas (
    pedido_id           INTEGER PRIMARY KEY REFERENCES pedidos(id) ON DELETE CASCADE,
    cliente_id          INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    estado              TEXT NOT NULL DEFAULT 'enviada'
                        CHECK (estado IN ('enviada', 'csat', 'nps', 'completa')),
    csat                INTEGER CHECK (csat BETWEEN 1 AND 5),
    nps                 INTEGER CHECK (nps BETWEEN 0 AND 10),
    comentario          TEXT,
    enviada_en          INTEGER NOT NULL,
    respondida_en       INTEGER
) STRICT;
CREATE INDEX encuestas_cliente ON encuestas (cliente_id, enviada_en);

-- Follow-up reminders for staff, by hand or by rules (clave makes a rule fire once).
CREATE TABLE recordatorios (
    id                  INTEGER PRIMARY KEY,
    cliente_id          INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    texto               TEXT NOT NULL,
    vence_en            INTEGER NOT NULL,
    origen              TEXT NOT NULL DEFAULT 'manual',    -- manual | encuesta_baja | encuesta_sin_respuesta | humano_sin_respuesta
    clave               TEXT UNIQUE,
    creado_por          TEXT NOT NULL,
    hecho_en            INTEGER,
    creado_en           INTEGER NOT NULL
) STRICT;
CREATE INDEX recordatorios_pendientes ON recordatorios (vence_en) WHERE hecho_en IS NULL;
CREATE INDEX recordatorios_cliente ON recordatorios (cliente_id, vence_en);

-- Who receives this brand's reports.
CREATE TABLE reporte_destinatarios (
    canal               TEXT NOT NULL CHECK (canal IN ('email', 'telegram')),
    destino             TEXT NOT NULL,
    creado_en           INTEGER NOT NULL,
    PRIMARY KEY (canal, destino)
) STRICT, WITHOUT ROWID;
