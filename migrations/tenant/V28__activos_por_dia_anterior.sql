-- Distinct active customers of a span of days without counting customer-days (issue 11:
-- dashboard p95). A period's days at its ends (all of a 30-day period: it holds no whole
-- month) were answered by counting the rows of `analitica_cliente_dia` in [a, b] whose
-- previous order day is before a: 40,000 index entries for 30 days at 1M orders, twice per
-- dashboard (the period and the one before), 90 % of the dashboard's time.
--
-- Here the same rows are kept grouped by (day, previous order day): a busy brand's customers
-- of one day came back after ~100 distinct gaps, so 30 days are ~3,000 keys instead of
-- ~40,000 rows, one range of the primary key. Derived data like V25's: not in `changes`,
-- not mirrored; `analytics::rollups::rebuild` refills it and `rollups::recompute` proves it.

CREATE TABLE analitica_activos_dia_anterior (
    dia         TEXT NOT NULL,
    anterior    TEXT NOT NULL,          -- the customer's previous order day, '' for none
    clientes    INTEGER NOT NULL,
    PRIMARY KEY (dia, anterior)
) STRICT, WITHOUT ROWID;

INSERT INTO analitica_activos_dia_anterior (dia, anterior, clientes)
SELECT dia, COALESCE(anterior, ''), COUNT(*) FROM analitica_cliente_dia
GROUP BY dia, COALESCE(anterior, '');

-- The table follows each customer-day row: in, out, and its previous day moved (a day
-- written before a customer's later days, or removed, changes the next day's). Counts move
-- by upserts in both directions and zero rows go, so the result does not depend on the
-- order in which SQLite fires these and V25's triggers.

CREATE TRIGGER analitica_cliente_dia_pares_ai AFTER INSERT ON analitica_cliente_dia BEGIN
    INSERT INTO analitica_activos_dia_anterior (dia, anterior, clientes)
    VALUES (NEW.dia, COALESCE(NEW.anterior, ''), 1)
    ON CONFLICT (dia, anterior) DO UPDATE SET clientes = clientes + 1;
    DELETE FROM analitica_activos_dia_anterior
    WHERE dia = NEW.dia AND anterior = COALESCE(NEW.anterior, '') AND clientes = 0;
END;

CREATE TRIGGER analitica_cliente_dia_pares_ad AFTER DELETE ON analitica_cliente_dia BEGIN
    INSERT INTO analitica_activos_dia_anterior (dia, anterior, clientes)
    VALUES (OLD.dia, COALESCE(OLD.anterior, ''), -1)
    ON CONFLICT (dia, anterior) DO UPDATE SET clientes = clientes - 1;
    DELETE FROM analitica_activos_dia_anterior
    WHERE dia = OLD.dia AND anterior = COALESCE(OLD.anterior, '') AND clientes = 0;
END;

CREATE TRIGGER analitica_cliente_dia_pares_au AFTER UPDATE OF dia, anterior ON analitica_cliente_dia
WHEN OLD.dia IS NOT NEW.dia OR OLD.anterior IS NOT NEW.anterior
BEGIN
    INSERT INTO analitica_activos_dia_anterior (dia, anterior, clientes)
    VALUES (OLD.dia, COALESCE(OLD.anterior, ''), -1)
    ON CONFLICT (dia, anterior) DO UPDATE SET clientes = clientes - 1;
    DELETE FROM analitica_activos_dia_anterior
    WHERE dia = OLD.dia AND anterior = COALESCE(OLD.anterior, '') AND clientes = 0;
    INSERT INTO analitica_activos_dia_anterior (dia, anterior, clientes)
    VALUES (NEW.dia, COALESCE(NEW.anterior, ''), 1)
    ON CONFLICT (dia, anterior) DO UPDATE SET clientes = clientes + 1;
    DELETE FROM analitica_activos_dia_anterior
    WHERE dia = NEW.dia AND anterior = COALESCE(NEW.anterior, '') AND clientes = 0;
END;

-- ---------------------------------------------------------------------------------------
-- Each customer-day is now written with its previous order day, rather than inserted with
-- `anterior` NULL and fixed by V25's UPDATE right after: one row write and index move less
-- per order, and the table above moves its count once instead of three times. V9's order
-- triggers compute it in their INSERT (when the day already exists, the upsert keeps the
-- row's own); V25's insert trigger keeps only what the new day changes for the customer's
-- next day. A row inserted without it (no writer does today; rollups' rebuild fills it
-- set-based with these triggers aside) still gets it, from its own trigger.

DROP TRIGGER pedidos_analitica_ai;
CREATE TRIGGER pedidos_analitica_ai AFTER INSERT ON pedidos BEGIN
    INSERT INTO analitica_dia (dia, canal, pedidos, ingresos, cancelados)
    VALUES (
        date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'),
        NEW.canal, NEW.estado <> 'cancelado', IIF(NEW.estado <> 'cancelado', NEW.total, 0), NEW.estado = 'cancelado')
    ON CONFLICT (dia, canal) DO UPDATE SET pedidos = pedidos + excluded.pedidos,
        ingresos = ingresos + excluded.ingresos, cancelados = cancelados + excluded.cancelados;
    INSERT INTO analitica_cliente_dia (cliente_id, dia, pedidos, ingresos, anterior)
    SELECT NEW.cliente_id, d.dia, 1, NEW.total,
        (SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < d.dia)
    FROM (SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AS dia) d
    WHERE NEW.estado <> 'cancelado'
    ON CONFLICT (cliente_id, dia) DO UPDATE SET pedidos = pedidos + 1, ingresos = ingresos + excluded.ingresos;
END;

DROP TRIGGER pedidos_analitica_au;
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
    INSERT INTO analitica_cliente_dia (cliente_id, dia, pedidos, ingresos, anterior)
    SELECT NEW.cliente_id, d.dia, 1, NEW.total,
        (SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < d.dia)
    FROM (SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AS dia) d
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

DROP TRIGGER analitica_cliente_dia_anterior_ai;
CREATE TRIGGER analitica_cliente_dia_anterior_ai AFTER INSERT ON analitica_cliente_dia BEGIN
    UPDATE analitica_cliente_dia SET anterior = NEW.dia
    WHERE cliente_id = NEW.cliente_id
      AND dia = (SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia > NEW.dia);
    INSERT INTO analitica_activos_dia (dia, clientes) VALUES (NEW.dia, 1)
    ON CONFLICT (dia) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER analitica_cliente_dia_anterior_sin_ai AFTER INSERT ON analitica_cliente_dia
WHEN NEW.anterior IS NULL
  AND EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < NEW.dia)
BEGIN
    UPDATE analitica_cliente_dia SET anterior = (
        SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < NEW.dia)
    WHERE cliente_id = NEW.cliente_id AND dia = NEW.dia;
END;
