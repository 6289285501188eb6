-- WhatsApp for one brand: raw webhook bodies (the replay source), idempotency of inbound
-- messages and statuses, outbound message states, identities, conversations (the inbox),
-- the bot's per-customer state and cart, FAQ, product synonyms and bot settings.

CREATE TABLE wa_eventos (
    id              INTEGER PRIMARY KEY,
    cuerpo          BLOB NOT NULL,              -- the signed body exactly as received
    recibido_en     INTEGER NOT NULL,
    procesado_en    INTEGER,
    error           TEXT
) STRICT;
CREATE INDEX wa_eventos_pendientes ON wa_eventos (id) WHERE procesado_en IS NULL;

-- One row per inbound wamid: a message is processed once, across restarts.
CREATE TABLE wa_entrantes (
    wamid           TEXT PRIMARY KEY,
    cliente_id      INTEGER REFERENCES clientes(id) ON DELETE SET NULL,
    enviado_en      INTEGER NOT NULL,           -- the user's timestamp (unix ms)
    procesado_en    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Status events, append-only, one per (wamid, status).
CREATE TABLE wa_estados (
    wamid           TEXT NOT NULL,
    estado          TEXT NOT NULL,
    en              INTEGER NOT NULL,
    errores         TEXT,
    PRIMARY KEY (wamid, estado)
) STRICT, WITHOUT ROWID;

-- The current state of each outbound WhatsApp message (never goes backwards).
CREATE TABLE wa_salientes (
    outbox_id       INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,
    wamid           TEXT UNIQUE,
    estado          TEXT NOT NULL DEFAULT 'pendiente',
    rango           INTEGER NOT NULL DEFAULT 0,
    error_codigo    INTEGER,
    error_detalle   TEXT,
    actualizado_en  INTEGER NOT NULL
) STRICT;

-- WhatsApp identities of customers: BSUID first, then wa_id.
CREATE TABLE wa_contactos (
    cliente_id          INTEGER PRIMARY KEY REFERENCES clientes(id) ON DELETE CASCADE,
    bsuid               TEXT UNIQUE,
    wa_id               TEXT UNIQUE,
    nombre_perfil       TEXT,
    username            TEXT,
    ultimo_entrante_en  INTEGER                 -- the 24-hour window starts here (unix ms)
) STRICT;

-- The inbox: one conversation per customer.
CREATE TABLE conversaciones (
    cliente_id          INTEGER PRIMARY KEY REFERENCES clientes(id) ON DELETE CASCADE,
    estado              TEXT NOT NULL DEFAULT 'abierta' CHECK (estado IN ('abierta', 'cerrada')),
    necesita_humano     INTEGER NOT NULL DEFAULT 0 CHECK (necesita_humano IN (0, 1)),
    motivo_humano       TEXT,
    asignado_a          TEXT,
    no_leidos           INTEGER NOT NULL DEFAULT 0,
    ultimo_mensaje_en   INTEGER NOT NULL,
    ultimo_resumen      TEXT NOT NULL DEFAULT '',
    actualizado_en      INTEGER NOT NULL
) STRICT;
CREATE INDEX conversaciones_recientes ON conversaciones (ultimo_mensaje_en DESC, cliente_id);
CREATE TRIGGER conversaciones_ci AFTER INSERT ON conversaciones BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('conversaciones', new.cliente_id, 'insert'); END;
CREATE TRIGGER conversaciones_cu AFTER UPDATE ON conversaciones BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('conversaciones', new.cliente_id, 'update'); END;

-- The bot's memory per customer: step, cart (JSON [{sku, cantidad}]) and misunderstandings.
CREATE TABLE wa_bot (
    cliente_id      INTEGER PRIMARY KEY REFERENCES clientes(id) ON DELETE CASCADE,
    paso            TEXT NOT NULL DEFAULT 'inicio',
    carrito         TEXT NOT NULL DEFAULT '[]',
    fallos          INTEGER NOT NULL DEFAULT 0,
    actualizado_en  INTEGER NOT NULL
) STRICT;

CREATE TABLE wa_faq (
    id          INTEGER PRIMARY KEY,
    pregunta    TEXT NOT NULL,
    respuesta   TEXT NOT NULL,
    creado_en   INTEGER NOT NULL
) STRICT;

CREATE TABLE wa_sinonimos (
    sku         TEXT NOT NULL,
    sinonimo    TEXT NOT NULL,
    PRIMARY KEY (sku, sinonimo)
) STRICT, WITHOUT ROWID;

-- Bot settings: horario ("HH:MM-HH:MM" in the brand's zone), fuera_de_horario (reply text),
-- plantilla / plantilla_idioma (template used outside the 24-hour window).
CREATE TABLE wa_ajustes (
    clave   TEXT PRIMARY KEY,
    valor   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
