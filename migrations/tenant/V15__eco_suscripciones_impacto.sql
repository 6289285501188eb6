-- Subscriptions (suscripciones) and environmental impact (impacto).
-- These tables are working state of their domains: they do not feed `changes` (no change or
-- audit triggers); the orders a subscription creates are ordinary `pedidos` and do.

CREATE TABLE suscripcion_planes (
    id            INTEGER PRIMARY KEY,
    nombre        TEXT NOT NULL,
    items         TEXT NOT NULL,                 -- JSON [{"producto_id": n, "cantidad": n}]
    precio        INTEGER NOT NULL CHECK (precio >= 0),  -- minor units per period
    periodo       TEXT NOT NULL CHECK (periodo IN ('mensual', 'semanas')),
    cada_semanas  INTEGER NOT NULL DEFAULT 1 CHECK (cada_semanas BETWEEN 1 AND 52),
    activo        INTEGER NOT NULL DEFAULT 1,
    creado_en     INTEGER NOT NULL
);

CREATE TABLE suscripciones (
    id              INTEGER PRIMARY KEY,
    plan_id         INTEGER NOT NULL REFERENCES suscripcion_planes(id),
    cliente_id      INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    estado          TEXT NOT NULL CHECK (estado IN ('activa', 'pausada', 'cancelada')),
    inicio          INTEGER NOT NULL,            -- date of period 0 (unix ms)
    proximo_periodo INTEGER NOT NULL DEFAULT 0,  -- next period number to create
    creado_en       INTEGER NOT NULL,
    actualizado_en  INTEGER NOT NULL,
    cancelada_en    INTEGER
);
CREATE INDEX suscripciones_cliente ON suscripciones(cliente_id);
CREATE INDEX suscripciones_estado ON suscripciones(estado);

-- One row per subscription and period: the unique key makes the job idempotent (a doubled
-- run or a restart never creates a second order for the same period).
CREATE TABLE suscripcion_periodos (
    suscripcion_id  INTEGER NOT NULL REFERENCES suscripciones(id) ON DELETE CASCADE,
    periodo         INTEGER NOT NULL,
    fecha           INTEGER NOT NULL,
    aviso_en        INTEGER,
    saltado         INTEGER NOT NULL DEFAULT 0,
    pedido_id       INTEGER REFERENCES pedidos(id) ON DELETE SET NULL,
    PRIMARY KEY (suscripcion_id, periodo)
);

-- Customers who chose to appear (first name only) on the brand's impact leaderboard.
CREATE TABLE impacto_ranking (
    cliente_id  INTEGER PRIMARY KEY REFERENCES clientes(id) ON DELETE CASCADE,
    creado_en   INTEGER NOT NULL
);
