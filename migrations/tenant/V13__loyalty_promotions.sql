-- Loyalty (fidelidad) and promotions. These tables do not feed `changes` (no change-feed
-- or audit triggers). The ledger is append-only: no UPDATE (trigger below) and no
-- DELETE in code; rows go only with their customer or order (customers with orders cannot
-- be deleted, so in practice only a demo reset removes them).

-- One program per brand (row id 1): points per `monto_por_punto` minor units spent, or stamps per
-- qualifying order. `vigencia_dias` NULL: points never expire.
CREATE TABLE fidelidad_programa (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    tipo               TEXT NOT NULL CHECK (tipo IN ('puntos', 'sellos')),
    monto_por_punto    INTEGER NOT NULL DEFAULT 100 CHECK (monto_por_punto > 0),
    pedido_minimo      INTEGER NOT NULL DEFAULT 0 CHECK (pedido_minimo >= 0),
    vigencia_dias      INTEGER CHECK (vigencia_dias IS NULL OR vigencia_dias > 0),
    activo             INTEGER NOT NULL DEFAULT 1 CHECK (activo IN (0, 1)),
    actualizado_en     INTEGER NOT NULL
) STRICT;

-- A reward costs `costo` points/stamps and takes `descuento` (minor units) off an order.
CREATE TABLE fidelidad_recompensas (
    id          INTEGER PRIMARY KEY,
    nombre      TEXT NOT NULL,
    costo       INTEGER NOT NULL CHECK (costo > 0),
    descuento   INTEGER NOT NULL DEFAULT 0 CHECK (descuento >= 0),
    activo      INTEGER NOT NULL DEFAULT 1 CHECK (activo IN (0, 1)),
    creado_en   INTEGER NOT NULL
) STRICT;

-- Append-only ledger. `puntos` is signed: gana (+), canje (-), reverso (either sign).
CREATE TABLE fidelidad_movimientos (
    id             INTEGER PRIMARY KEY,
    cliente_id     INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    tipo           TEXT NOT NULL CHECK (tipo IN ('gana', 'canje', 'reverso', 'ajuste')),
    puntos         INTEGER NOT NULL,
    pedido_id      INTEGER REFERENCES pedidos(id) ON DELETE CASCADE,
    recompensa_id  INTEGER REFERENCES fidelidad_recompensas(id),
    nota           TEXT,
    vence_en       INTEGER,
    creado_en      INTEGER NOT NULL
) STRICT;
CREATE INDEX fidelidad_movimientos_cliente ON fidelidad_movimientos (cliente_id, id);
CREATE INDEX fidelidad_movimientos_pedido ON fidelidad_movimientos (pedido_id);
-- Only a customer merge may move rows to the kept customer (cliente_id).
CREATE TRIGGER fidelidad_movimientos_no_update
BEFORE UPDATE OF id, tipo, puntos, pedido_id, recompensa_id, nota, vence_en, creado_en ON fidelidad_movimientos
BEGIN SELECT RAISE(ABORT, 'fidelidad_movimientos is append-only'); END;

-- Promotion rules. `dias`: ISO weekdays 1 (lunes) .. 7 (domingo), comma separated, empty
-- = every day; hours in minutes from local midnight [desde, hasta). Target: a product,
-- a category, or (both NULL) every line. `segmento` NULL: every customer.
CREATE TABLE promociones (
    id           INTEGER PRIMARY KEY,
    nombre       TEXT NOT NULL,
    tipo         TEXT NOT NULL CHECK (tipo IN ('2x1', 'porcentaje')),
    porcentaje   INTEGER NOT NULL DEFAULT 0 CHECK (porcentaje BETWEEN 0 AND 100),
    producto_id  INTEGER REFERENCES productos(id) ON DELETE CASCADE,
    categoria    TEXT,
    dias         TEXT NOT NULL DEFAULT '',
    minuto_desde INTEGER NOT NULL DEFAULT 0 CHECK (minuto_desde BETWEEN 0 AND 1440),
    minuto_hasta INTEGER NOT NULL DEFAULT 1440 CHECK (minuto_hasta BETWEEN 0 AND 1440),
    segmento     TEXT,
    -- The brand's zone when the rule was saved: order creation has no Brand at hand.
    zona_horaria TEXT NOT NULL DEFAULT 'UTC',
    activo       INTEGER NOT NULL DEFAULT 1 CHECK (activo IN (0, 1)),
    creado_en    INTEGER NOT NULL
) STRICT;

-- Discount lines of an order (promotions and redeemed rewards); pedidos.descuento is
-- their sum. `motivo` is the reason printed on the ticket.
CREATE TABLE pedido_descuentos (
    id          INTEGER PRIMARY KEY,
    pedido_id   INTEGER NOT NULL REFERENCES pedidos(id) ON DELETE CASCADE,
    origen      TEXT NOT NULL CHECK (origen IN ('promocion', 'recompensa')),
    motivo      TEXT NOT NULL,
    monto       INTEGER NOT NULL CHECK (monto >= 0),
    creado_en   INTEGER NOT NULL
) STRICT;
CREATE INDEX pedido_descuentos_pedido ON pedido_descuentos (pedido_id);
