-- Numbered 9 (written as V3 on a parallel branch): refinery refuses a migration numbered below
-- one an existing database already has, and V4, V5 and V8 landed first.
-- Analytics: daily rollups kept exact by triggers in the same transaction as each order
-- write, per-customer RFM/CLV results, and the log of segment changes.
--
-- Days are calendar days of the brand's time zone. SQLite knows no zones, so the analytics
-- module writes the zone's UTC offsets into `analitica_zona` (one row per offset change)
-- and rebuilds every rollup when the brand's zone changes; a trigger finds an instant's
-- local day with one primary-key lookup. Cancelled orders are counted apart and are never
-- revenue. These tables are derived data: they do not feed `changes` and are not mirrored.

CREATE TABLE analitica_zona (
    desde_ms    INTEGER PRIMARY KEY,    -- UTC instant from which `offset_ms` applies
    offset_ms   INTEGER NOT NULL        -- local time minus UTC
) STRICT;

-- Small key/value state: the zone the rollups were built for, the change-feed cursor of
-- the segment updater, the VIP spend cut of the last nightly run.
CREATE TABLE analitica_estado (
    clave   TEXT PRIMARY KEY,
    valor   TEXT NOT NULL
) STRICT;

-- Orders and revenue per local day and channel.
CREATE TABLE analitica_dia (
    dia         TEXT NOT NULL,          -- YYYY-MM-DD in the brand's zone
    canal       TEXT NOT NULL,
    pedidos     INTEGER NOT NULL,       -- non-cancelled orders
    ingresos    INTEGER NOT NULL,       -- their totals, minor units
    cancelados  INTEGER NOT NULL,
    PRIMARY KEY (dia, canal)
) STRICT, WITHOUT ROWID;

-- Which customers ordered on which day (non-cancelled orders): active customers per day
-- and per period, and the first-order day of each customer.
CREATE TABLE analitica_cliente_dia (
    cliente_id  INTEGER NOT NULL,
    dia         TEXT NOT NULL,
    pedidos     INTEGER NOT NULL,
    ingresos    INTEGER NOT NULL,
    PRIMARY KEY (cliente_id, dia)
) STRICT, WITHOUT ROWID;
CREATE INDEX analitica_cliente_dia_dia ON analitica_cliente_dia (dia, cliente_id);

-- Customers whose first non-cancelled order falls on each day.
CREATE TABLE analitica_nuevos_dia (
    dia         TEXT PRIMARY KEY,
    clientes    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Units and revenue per product (by SKU, as sold) per day.
CREATE TABLE analitica_producto_dia (
    dia         TEXT NOT NULL,
    sku         TEXT NOT NULL,
    unidades    INTEGER NOT NULL,
    ingresos    INTEGER NOT NULL,
    PRIMARY KEY (dia, sku)
) STRICT, WITHOUT ROWID;

-- Last nightly RFM and CLV results per customer (campaign audiences filter on rfm_grupo).
CREATE TABLE analitica_clientes (
    cliente_id          INTEGER PRIMARY KEY REFERENCES clientes(id) ON DELETE CASCADE,
    rfm_r               INTEGER NOT NULL,
    rfm_f               INTEGER NOT NULL,
    rfm_m               INTEGER NOT NULL,
    rfm_grupo           TEXT NOT NULL,
    clv                 INTEGER,            -- predicted 12-month value, minor units
    prob_activo         REAL,
    compras_esperadas   REAL,
    calculado_en        INTEGER NOT NULL
) STRICT;
CREATE INDEX analitica_clientes_grupo ON analitica_clientes (rfm_grupo, cliente_id);

-- Every segment change ("became VIP this week").
CREATE TABLE segmento_cambios (
    id          INTEGER PRIMARY KEY,
    cliente_id  INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    desde       TEXT,                   -- NULL: first classification
    hacia       TEXT NOT NULL,
    en          INTEGER NOT NULL
) STRICT;
CREATE INDEX segmento_cambios_en ON segmento_cambios (en, id);
CREATE INDEX segmento_cambios_hacia ON segmento_cambios (hacia, en);
CREATE INDEX segmento_cambios_cliente ON segmento_cambios (cliente_id, en);

-- ---------------------------------------------------------------------------------------
-- Triggers. LOCAL_DAY(t) below is written out as
--   date((t + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= t
--                       ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch')

CREATE TRIGGER pedidos_analitica_ai AFTER INSERT ON pedidos BEGIN
    INSERT INTO analitica_dia (dia, canal, pedidos, ingresos, cancelados)
    VALUES (
        date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        NEW.canal, NEW.estado <> 'cancelado', IIF(NEW.estado <> 'cancelado', NEW.total, 0), NEW.estado = 'cancelado')
    ON CONFLICT (dia, canal) DO UPDATE SET pedidos = pedidos + excluded.pedidos,
        ingresos = ingresos + excluded.ingresos, cancelados = cancelados + excluded.cancelados;
    INSERT INTO analitica_cliente_dia (cliente_id, dia, pedidos, ingresos)
    SELECT NEW.cliente_id,
        date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        1, NEW.total
    WHERE NEW.estado <> 'cancelado'
    ON CONFLICT (cliente_id, dia) DO UPDATE SET pedidos = pedidos + 1, ingresos = ingresos + excluded.ingresos;
END;

-- Only the columns that move a figure; status steps between non-cancelled states do nothing.
CREATE TRIGGER pedidos_analitica_au AFTER UPDATE OF cliente_id, canal, estado, total, creado_en ON pedidos
WHEN OLD.cliente_id IS NOT NEW.cliente_id OR OLD.canal IS NOT NEW.canal OR OLD.total IS NOT NEW.total
    OR OLD.creado_en IS NOT NEW.creado_en OR (OLD.estado = 'cancelado') IS NOT (NEW.estado = 'cancelado')
BEGIN
    -- Take the old row out.
    UPDATE analitica_dia SET pedidos = pedidos - (OLD.estado <> 'cancelado'),
        ingresos = ingresos - IIF(OLD.estado <> 'cancelado', OLD.total, 0),
        cancelados = cancelados - (OLD.estado = 'cancelado')
    WHERE canal = OLD.canal AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    UPDATE analitica_cliente_dia SET pedidos = pedidos - 1, ingresos = ingresos - OLD.total
    WHERE OLD.estado <> 'cancelado' AND cliente_id = OLD.cliente_id
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
    SELECT date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        sku, -SUM(cantidad), -SUM(total)
    FROM pedido_items WHERE pedido_id = OLD.id AND OLD.estado <> 'cancelado' GROUP BY sku
    ON CONFLICT (dia, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
    -- Put the new row in.
    INSERT INTO analitica_dia (dia, canal, pedidos, ingresos, cancelados)
    VALUES (
        date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        NEW.canal, NEW.estado <> 'cancelado', IIF(NEW.estado <> 'cancelado', NEW.total, 0), NEW.estado = 'cancelado')
    ON CONFLICT (dia, canal) DO UPDATE SET pedidos = pedidos + excluded.pedidos,
        ingresos = ingresos + excluded.ingresos, cancelados = cancelados + excluded.cancelados;
    INSERT INTO analitica_cliente_dia (cliente_id, dia, pedidos, ingresos)
    SELECT NEW.cliente_id,
        date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        1, NEW.total
    WHERE NEW.estado <> 'cancelado'
    ON CONFLICT (cliente_id, dia) DO UPDATE SET pedidos = pedidos + 1, ingresos = ingresos + excluded.ingresos;
    INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        sku, SUM(cantidad), SUM(total)
    FROM pedido_items WHERE pedido_id = NEW.id AND NEW.estado <> 'cancelado' GROUP BY sku
    ON CONFLICT (dia, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
    -- Rows that fell to zero go, so a rollup holds exactly what a recomputation would.
    DELETE FROM analitica_dia WHERE canal = OLD.canal AND pedidos = 0 AND cancelados = 0
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    DELETE FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id AND pedidos = 0
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    DELETE FROM analitica_producto_dia WHERE unidades = 0
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
END;

-- Lines go first (their triggers still see the order), then the order's own figures.
CREATE TRIGGER pedidos_analitica_bd BEFORE DELETE ON pedidos BEGIN
    DELETE FROM pedido_items WHERE pedido_id = OLD.id;
END;

CREATE TRIGGER pedidos_analitica_ad AFTER DELETE ON pedidos BEGIN
    UPDATE analitica_dia SET pedidos = pedidos - (OLD.estado <> 'cancelado'),
        ingresos = ingresos - IIF(OLD.estado <> 'cancelado', OLD.total, 0),
        cancelados = cancelados - (OLD.estado = 'cancelado')
    WHERE canal = OLD.canal AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    UPDATE analitica_cliente_dia SET pedidos = pedidos - 1, ingresos = ingresos - OLD.total
    WHERE OLD.estado <> 'cancelado' AND cliente_id = OLD.cliente_id
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    DELETE FROM analitica_dia WHERE canal = OLD.canal AND pedidos = 0 AND cancelados = 0
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    DELETE FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id AND pedidos = 0
      AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
END;

CREATE TRIGGER pedido_items_analitica_ai AFTER INSERT ON pedido_items BEGIN
    INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        NEW.sku, NEW.cantidad, NEW.total
    FROM pedidos p WHERE p.id = NEW.pedido_id AND p.estado <> 'cancelado'
    ON CONFLICT (dia, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
END;

CREATE TRIGGER pedido_items_analitica_au AFTER UPDATE OF pedido_id, sku, cantidad, total ON pedido_items BEGIN
    INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        OLD.sku, -OLD.cantidad, -OLD.total
    FROM pedidos p WHERE p.id = OLD.pedido_id AND p.estado <> 'cancelado'
    ON CONFLICT (dia, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
    INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        NEW.sku, NEW.cantidad, NEW.total
    FROM pedidos p WHERE p.id = NEW.pedido_id AND p.estado <> 'cancelado'
    ON CONFLICT (dia, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
    DELETE FROM analitica_producto_dia WHERE unidades = 0 AND sku = OLD.sku;
END;

CREATE TRIGGER pedido_items_analitica_ad AFTER DELETE ON pedido_items BEGIN
    INSERT INTO analitica_producto_dia (dia, sku, unidades, ingresos)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        OLD.sku, -OLD.cantidad, -OLD.total
    FROM pedidos p WHERE p.id = OLD.pedido_id AND p.estado <> 'cancelado'
    ON CONFLICT (dia, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
    DELETE FROM analitica_producto_dia WHERE unidades = 0 AND sku = OLD.sku;
END;

-- First-order day: a customer-day row appearing before every other one of the customer
-- moves their "new" day earlier; the first row disappearing moves it to the next one.
CREATE TRIGGER analitica_cliente_dia_ai AFTER INSERT ON analitica_cliente_dia
WHEN NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < NEW.dia)
BEGIN
    UPDATE analitica_nuevos_dia SET clientes = clientes - 1
    WHERE dia = (SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia > NEW.dia);
    DELETE FROM analitica_nuevos_dia WHERE clientes = 0
      AND dia = (SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia > NEW.dia);
    INSERT INTO analitica_nuevos_dia (dia, clientes) VALUES (NEW.dia, 1)
    ON CONFLICT (dia) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER analitica_cliente_dia_ad AFTER DELETE ON analitica_cliente_dia
WHEN NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id AND dia < OLD.dia)
BEGIN
    UPDATE analitica_nuevos_dia SET clientes = clientes - 1 WHERE dia = OLD.dia;
    DELETE FROM analitica_nuevos_dia WHERE dia = OLD.dia AND clientes = 0;
    INSERT INTO analitica_nuevos_dia (dia, clientes)
    SELECT MIN(dia), 1 FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id HAVING MIN(dia) IS NOT NULL
    ON CONFLICT (dia) DO UPDATE SET clientes = clientes + 1;
END;
