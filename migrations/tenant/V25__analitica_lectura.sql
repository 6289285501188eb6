-- Dashboard reads without scans (issue 5, scope 6: under 50 ms at 1M orders). Every figure of
-- the dashboard that used to count rows per request is kept here instead, exact, by triggers
-- in the same transaction as the write that moves it; `analytics::rollups::rebuild` refills
-- them set-based and `rollups::recompute` proves them. Derived data: not in `changes`, not
-- mirrored (src/mirror/tables.rs says why).

-- Customers with a non-cancelled order per local day (the series' active customers).
CREATE TABLE analitica_activos_dia (
    dia         TEXT PRIMARY KEY,
    clientes    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO analitica_activos_dia (dia, clientes)
SELECT dia, COUNT(*) FROM analitica_cliente_dia GROUP BY dia;

-- Each customer-day remembers the customer's previous order day, so the distinct customers
-- active in [a, b] are the rows of [a, b] whose previous day is before a (or none): one
-- index range, counted without DISTINCT.
ALTER TABLE analitica_cliente_dia ADD COLUMN anterior TEXT;

UPDATE analitica_cliente_dia SET anterior = (
    SELECT MAX(p.dia) FROM analitica_cliente_dia p
    WHERE p.cliente_id = analitica_cliente_dia.cliente_id AND p.dia < analitica_cliente_dia.dia);

DROP INDEX analitica_cliente_dia_dia;
CREATE INDEX analitica_cliente_dia_anterior ON analitica_cliente_dia (dia, anterior);

CREATE TRIGGER analitica_cliente_dia_anterior_ai AFTER INSERT ON analitica_cliente_dia BEGIN
    UPDATE analitica_cliente_dia SET anterior = (
        SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < NEW.dia)
    WHERE cliente_id = NEW.cliente_id AND dia = NEW.dia
      AND EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia < NEW.dia);
    UPDATE analitica_cliente_dia SET anterior = NEW.dia
    WHERE cliente_id = NEW.cliente_id
      AND dia = (SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id AND dia > NEW.dia);
    INSERT INTO analitica_activos_dia (dia, clientes) VALUES (NEW.dia, 1)
    ON CONFLICT (dia) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER analitica_cliente_dia_anterior_ad AFTER DELETE ON analitica_cliente_dia BEGIN
    UPDATE analitica_cliente_dia SET anterior = OLD.anterior
    WHERE cliente_id = OLD.cliente_id
      AND dia = (SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id AND dia > OLD.dia);
    UPDATE analitica_activos_dia SET clientes = clientes - 1 WHERE dia = OLD.dia;
    DELETE FROM analitica_activos_dia WHERE dia = OLD.dia AND clientes = 0;
END;

-- Customers per segment (the donut), following `clientes.segmento`.
CREATE TABLE analitica_segmentos (
    segmento    TEXT PRIMARY KEY,
    clientes    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO analitica_segmentos (segmento, clientes)
SELECT segmento, COUNT(*) FROM clientes GROUP BY segmento;

CREATE TRIGGER clientes_analitica_segmento_ai AFTER INSERT ON clientes BEGIN
    INSERT INTO analitica_segmentos (segmento, clientes) VALUES (NEW.segmento, 1)
    ON CONFLICT (segmento) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER clientes_analitica_segmento_ad AFTER DELETE ON clientes BEGIN
    UPDATE analitica_segmentos SET clientes = clientes - 1 WHERE segmento = OLD.segmento;
    DELETE FROM analitica_segmentos WHERE segmento = OLD.segmento AND clientes = 0;
END;

CREATE TRIGGER clientes_analitica_segmento_au AFTER UPDATE OF segmento ON clientes
WHEN OLD.segmento IS NOT NEW.segmento
BEGIN
    UPDATE analitica_segmentos SET clientes = clientes - 1 WHERE segmento = OLD.segmento;
    DELETE FROM analitica_segmentos WHERE segmento = OLD.segmento AND clientes = 0;
    INSERT INTO analitica_segmentos (segmento, clientes) VALUES (NEW.segmento, 1)
    ON CONFLICT (segmento) DO UPDATE SET clientes = clientes + 1;
END;

-- The last nightly RFM/CLV run summarised: customers per recency × frequency cell, per named
-- group, and per CLV histogram bucket (lower edge, minor units: 0, 100, 200, 500, 1000, …,
-- 500000, the last one open-ended — the edges of `metrics::clv_buckets`). The nightly write
-- (`refresh::apply`) sets `analitica_estado.rfm_en_bloque` while it replaces every row and
-- then refills these tables set-based; otherwise (a customer erased or merged: the cascade)
-- the triggers keep them.
CREATE TABLE analitica_rfm_celdas (
    rfm_r       INTEGER NOT NULL,
    rfm_f       INTEGER NOT NULL,
    clientes    INTEGER NOT NULL,
    PRIMARY KEY (rfm_r, rfm_f)
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_rfm_grupos (
    rfm_grupo   TEXT PRIMARY KEY,
    clientes    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_clv_tramos (
    desde       INTEGER PRIMARY KEY,
    clientes    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO analitica_rfm_celdas (rfm_r, rfm_f, clientes)
SELECT rfm_r, rfm_f, COUNT(*) FROM analitica_clientes GROUP BY rfm_r, rfm_f;
INSERT INTO analitica_rfm_grupos (rfm_grupo, clientes)
SELECT rfm_grupo, COUNT(*) FROM analitica_clientes GROUP BY rfm_grupo;
INSERT INTO analitica_clv_tramos (desde, clientes)
SELECT CASE WHEN clv < 100 THEN 0 WHEN clv < 200 THEN 100 WHEN clv < 500 THEN 200
    WHEN clv < 1000 THEN 500 WHEN clv < 2000 THEN 1000 WHEN clv < 5000 THEN 2000
    WHEN clv < 10000 THEN 5000 WHEN clv < 20000 THEN 10000 WHEN clv < 50000 THEN 20000
    WHEN clv < 100000 THEN 50000 WHEN clv < 200000 THEN 100000 WHEN clv < 500000 THEN 200000
    ELSE 500000 END AS tramo, COUNT(*)
FROM analitica_clientes WHERE clv >= 0 GROUP BY tramo;

CREATE TRIGGER analitica_clientes_conteos_ai AFTER INSERT ON analitica_clientes
WHEN NOT EXISTS (SELECT 1 FROM analitica_estado WHERE clave = 'rfm_en_bloque')
BEGIN
    INSERT INTO analitica_rfm_celdas (rfm_r, rfm_f, clientes) VALUES (NEW.rfm_r, NEW.rfm_f, 1)
    ON CONFLICT (rfm_r, rfm_f) DO UPDATE SET clientes = clientes + 1;
    INSERT INTO analitica_rfm_grupos (rfm_grupo, clientes) VALUES (NEW.rfm_grupo, 1)
    ON CONFLICT (rfm_grupo) DO UPDATE SET clientes = clientes + 1;
    INSERT INTO analitica_clv_tramos (desde, clientes)
    SELECT CASE WHEN NEW.clv < 100 THEN 0 WHEN NEW.clv < 200 THEN 100 WHEN NEW.clv < 500 THEN 200
        WHEN NEW.clv < 1000 THEN 500 WHEN NEW.clv < 2000 THEN 1000 WHEN NEW.clv < 5000 THEN 2000
        WHEN NEW.clv < 10000 THEN 5000 WHEN NEW.clv < 20000 THEN 10000 WHEN NEW.clv < 50000 THEN 20000
        WHEN NEW.clv < 100000 THEN 50000 WHEN NEW.clv < 200000 THEN 100000 WHEN NEW.clv < 500000 THEN 200000
        ELSE 500000 END, 1
    WHERE NEW.clv >= 0
    ON CONFLICT (desde) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER analitica_clientes_conteos_ad AFTER DELETE ON analitica_clientes
WHEN NOT EXISTS (SELECT 1 FROM analitica_estado WHERE clave = 'rfm_en_bloque')
BEGIN
    UPDATE analitica_rfm_celdas SET clientes = clientes - 1 WHERE rfm_r = OLD.rfm_r AND rfm_f = OLD.rfm_f;
    DELETE FROM analitica_rfm_celdas WHERE rfm_r = OLD.rfm_r AND rfm_f = OLD.rfm_f AND clientes = 0;
    UPDATE analitica_rfm_grupos SET clientes = clientes - 1 WHERE rfm_grupo = OLD.rfm_grupo;
    DELETE FROM analitica_rfm_grupos WHERE rfm_grupo = OLD.rfm_grupo AND clientes = 0;
    UPDATE analitica_clv_tramos SET clientes = clientes - 1
    WHERE OLD.clv >= 0 AND desde = CASE WHEN OLD.clv < 100 THEN 0 WHEN OLD.clv < 200 THEN 100 WHEN OLD.clv < 500 THEN 200
        WHEN OLD.clv < 1000 THEN 500 WHEN OLD.clv < 2000 THEN 1000 WHEN OLD.clv < 5000 THEN 2000
        WHEN OLD.clv < 10000 THEN 5000 WHEN OLD.clv < 20000 THEN 10000 WHEN OLD.clv < 50000 THEN 20000
        WHEN OLD.clv < 100000 THEN 50000 WHEN OLD.clv < 200000 THEN 100000 WHEN OLD.clv < 500000 THEN 200000
        ELSE 500000 END;
    DELETE FROM analitica_clv_tramos WHERE clientes = 0;
END;

-- An edit in place is a delete and an insert.
CREATE TRIGGER analitica_clientes_conteos_au AFTER UPDATE OF rfm_r, rfm_f, rfm_grupo, clv ON analitica_clientes
WHEN NOT EXISTS (SELECT 1 FROM analitica_estado WHERE clave = 'rfm_en_bloque')
BEGIN
    UPDATE analitica_rfm_celdas SET clientes = clientes - 1 WHERE rfm_r = OLD.rfm_r AND rfm_f = OLD.rfm_f;
    DELETE FROM analitica_rfm_celdas WHERE rfm_r = OLD.rfm_r AND rfm_f = OLD.rfm_f AND clientes = 0;
    UPDATE analitica_rfm_grupos SET clientes = clientes - 1 WHERE rfm_grupo = OLD.rfm_grupo;
    DELETE FROM analitica_rfm_grupos WHERE rfm_grupo = OLD.rfm_grupo AND clientes = 0;
    UPDATE analitica_clv_tramos SET clientes = clientes - 1
    WHERE OLD.clv >= 0 AND desde = CASE WHEN OLD.clv < 100 THEN 0 WHEN OLD.clv < 200 THEN 100 WHEN OLD.clv < 500 THEN 200
        WHEN OLD.clv < 1000 THEN 500 WHEN OLD.clv < 2000 THEN 1000 WHEN OLD.clv < 5000 THEN 2000
        WHEN OLD.clv < 10000 THEN 5000 WHEN OLD.clv < 20000 THEN 10000 WHEN OLD.clv < 50000 THEN 20000
        WHEN OLD.clv < 100000 THEN 50000 WHEN OLD.clv < 200000 THEN 100000 WHEN OLD.clv < 500000 THEN 200000
        ELSE 500000 END;
    DELETE FROM analitica_clv_tramos WHERE clientes = 0;
    INSERT INTO analitica_rfm_celdas (rfm_r, rfm_f, clientes) VALUES (NEW.rfm_r, NEW.rfm_f, 1)
    ON CONFLICT (rfm_r, rfm_f) DO UPDATE SET clientes = clientes + 1;
    INSERT INTO analitica_rfm_grupos (rfm_grupo, clientes) VALUES (NEW.rfm_grupo, 1)
    ON CONFLICT (rfm_grupo) DO UPDATE SET clientes = clientes + 1;
    INSERT INTO analitica_clv_tramos (desde, clientes)
    SELECT CASE WHEN NEW.clv < 100 THEN 0 WHEN NEW.clv < 200 THEN 100 WHEN NEW.clv < 500 THEN 200
        WHEN NEW.clv < 1000 THEN 500 WHEN NEW.clv < 2000 THEN 1000 WHEN NEW.clv < 5000 THEN 2000
        WHEN NEW.clv < 10000 THEN 5000 WHEN NEW.clv < 20000 THEN 10000 WHEN NEW.clv < 50000 THEN 20000
        WHEN NEW.clv < 100000 THEN 50000 WHEN NEW.clv < 200000 THEN 100000 WHEN NEW.clv < 500000 THEN 200000
        ELSE 500000 END, 1
    WHERE NEW.clv >= 0
    ON CONFLICT (desde) DO UPDATE SET clientes = clientes + 1;
END;

-- Conversations and conversions (`analytics::conversion`, rule in docs/analytics.md): one row
-- per conversation start — an inbound message or call from a customer with no inbound
-- message or call on the same channel in the 24 h (86,400,000 ms) before it — and whether
-- the customer placed a non-cancelled order at or after it and less than 7 days
-- (604,800,000 ms) later. A new, moved or removed inbound row can only change the start of
-- the rows of its customer and channel in the 24 h after it, so the triggers re-derive that
-- window; an order can only change the conversions of its customer's starts in the 7 days
-- before it. The dashboard counts a period's rows in the `(en, canal, convertida)` index.
CREATE TABLE analitica_conversaciones (
    interaccion_id  INTEGER PRIMARY KEY,    -- the inbound interaction that starts it
    cliente_id      INTEGER NOT NULL,
    canal           TEXT NOT NULL,
    en              INTEGER NOT NULL,       -- its creado_en, unix ms
    convertida      INTEGER NOT NULL        -- 0/1
) STRICT;
CREATE INDEX analitica_conversaciones_en ON analitica_conversaciones (en, canal, convertida);
CREATE INDEX analitica_conversaciones_cliente ON analitica_conversaciones (cliente_id, en);

-- Inbound messages and calls by customer, channel and time: the "silence before" check reads
-- only this index.
CREATE INDEX interacciones_entrantes ON interacciones (cliente_id, canal, creado_en, id)
WHERE direccion = 'entrante' AND tipo IN ('mensaje', 'llamada');

INSERT INTO analitica_conversaciones (interaccion_id, cliente_id, canal, en, convertida)
SELECT i.id, i.cliente_id, i.canal, i.creado_en,
    EXISTS (SELECT 1 FROM pedidos p WHERE p.cliente_id = i.cliente_id AND p.estado <> 'cancelado'
            AND p.creado_en >= i.creado_en AND p.creado_en < i.creado_en + 604800000)
FROM interacciones i
WHERE i.direccion = 'entrante' AND i.tipo IN ('mensaje', 'llamada')
  AND NOT EXISTS (SELECT 1 FROM interacciones j
      WHERE j.cliente_id = i.cliente_id AND j.canal = i.canal AND j.direccion = 'entrante'
        AND j.tipo IN ('mensaje', 'llamada') AND j.creado_en > i.creado_en - 86400000
        AND (j.creado_en < i.creado_en OR (j.creado_en = i.creado_en AND j.id < i.id)));

CREATE TRIGGER interacciones_analitica_conversacion_ai AFTER INSERT ON interacciones
WHEN NEW.direccion = 'entrante' AND NEW.tipo IN ('mensaje', 'llamada')
BEGIN
    DELETE FROM analitica_conversaciones WHERE cliente_id = NEW.cliente_id AND canal = NEW.canal
      AND en BETWEEN NEW.creado_en AND NEW.creado_en + 86400000;
    INSERT INTO analitica_conversaciones (interaccion_id, cliente_id, canal, en, convertida)
    SELECT i.id, i.cliente_id, i.canal, i.creado_en,
        EXISTS (SELECT 1 FROM pedidos p WHERE p.cliente_id = i.cliente_id AND p.estado <> 'cancelado'
                AND p.creado_en >= i.creado_en AND p.creado_en < i.creado_en + 604800000)
    FROM interacciones i
    WHERE i.cliente_id = NEW.cliente_id AND i.canal = NEW.canal
      AND i.creado_en BETWEEN NEW.creado_en AND NEW.creado_en + 86400000
      AND i.direccion = 'entrante' AND i.tipo IN ('mensaje', 'llamada')
      AND NOT EXISTS (SELECT 1 FROM interacciones j
          WHERE j.cliente_id = i.cliente_id AND j.canal = i.canal AND j.direccion = 'entrante'
            AND j.tipo IN ('mensaje', 'llamada') AND j.creado_en > i.creado_en - 86400000
            AND (j.creado_en < i.creado_en OR (j.creado_en = i.creado_en AND j.id < i.id)));
END;

CREATE TRIGGER interacciones_analitica_conversacion_ad AFTER DELETE ON interacciones
WHEN OLD.direccion = 'entrante' AND OLD.tipo IN ('mensaje', 'llamada')
BEGIN
    DELETE FROM analitica_conversaciones WHERE cliente_id = OLD.cliente_id AND canal = OLD.canal
      AND en BETWEEN OLD.creado_en AND OLD.creado_en + 86400000;
    INSERT INTO analitica_conversaciones (interaccion_id, cliente_id, canal, en, convertida)
    SELECT i.id, i.cliente_id, i.canal, i.creado_en,
        EXISTS (SELECT 1 FROM pedidos p WHERE p.cliente_id = i.cliente_id AND p.estado <> 'cancelado'
                AND p.creado_en >= i.creado_en AND p.creado_en < i.creado_en + 604800000)
    FROM interacciones i
    WHERE i.cliente_id = OLD.cliente_id AND i.canal = OLD.canal
      AND i.creado_en BETWEEN OLD.creado_en AND OLD.creado_en + 86400000
      AND i.direccion = 'entrante' AND i.tipo IN ('mensaje', 'llamada')
      AND NOT EXISTS (SELECT 1 FROM interacciones j
          WHERE j.cliente_id = i.cliente_id AND j.canal = i.canal AND j.direccion = 'entrante'
            AND j.tipo IN ('mensaje', 'llamada') AND j.creado_en > i.creado_en - 86400000
            AND (j.creado_en < i.creado_en OR (j.creado_en = i.creado_en AND j.id < i.id)));
END;

-- A move (merge into another customer, another channel, time or kind): both windows.
CREATE TRIGGER interacciones_analitica_conversacion_au
AFTER UPDATE OF cliente_id, canal, direccion, tipo, creado_en ON interacciones
WHEN (OLD.direccion = 'entrante' AND OLD.tipo IN ('mensaje', 'llamada'))
  OR (NEW.direccion = 'entrante' AND NEW.tipo IN ('mensaje', 'llamada'))
BEGIN
    DELETE FROM analitica_conversaciones WHERE interaccion_id = OLD.id;
    DELETE FROM analitica_conversaciones WHERE cliente_id = OLD.cliente_id AND canal = OLD.canal
      AND en BETWEEN OLD.creado_en AND OLD.creado_en + 86400000;
    DELETE FROM analitica_conversaciones WHERE cliente_id = NEW.cliente_id AND canal = NEW.canal
      AND en BETWEEN NEW.creado_en AND NEW.creado_en + 86400000;
    INSERT INTO analitica_conversaciones (interaccion_id, cliente_id, canal, en, convertida)
    SELECT i.id, i.cliente_id, i.canal, i.creado_en,
        EXISTS (SELECT 1 FROM pedidos p WHERE p.cliente_id = i.cliente_id AND p.estado <> 'cancelado'
                AND p.creado_en >= i.creado_en AND p.creado_en < i.creado_en + 604800000)
    FROM interacciones i
    WHERE ((i.cliente_id = OLD.cliente_id AND i.canal = OLD.canal
            AND i.creado_en BETWEEN OLD.creado_en AND OLD.creado_en + 86400000)
        OR (i.cliente_id = NEW.cliente_id AND i.canal = NEW.canal
            AND i.creado_en BETWEEN NEW.creado_en AND NEW.creado_en + 86400000))
      AND i.direccion = 'entrante' AND i.tipo IN ('mensaje', 'llamada')
      AND NOT EXISTS (SELECT 1 FROM interacciones j
          WHERE j.cliente_id = i.cliente_id AND j.canal = i.canal AND j.direccion = 'entrante'
            AND j.tipo IN ('mensaje', 'llamada') AND j.creado_en > i.creado_en - 86400000
            AND (j.creado_en < i.creado_en OR (j.creado_en = i.creado_en AND j.id < i.id)))
    ON CONFLICT (interaccion_id) DO NOTHING;
END;

CREATE TRIGGER pedidos_analitica_conversion_ai AFTER INSERT ON pedidos
WHEN NEW.estado <> 'cancelado'
BEGIN
    UPDATE analitica_conversaciones SET convertida = 1
    WHERE cliente_id = NEW.cliente_id AND en <= NEW.creado_en AND en > NEW.creado_en - 604800000
      AND convertida = 0;
END;

-- Cancelled or back, moved to another customer or time: the starts of both windows are
-- re-derived.
CREATE TRIGGER pedidos_analitica_conversion_au AFTER UPDATE OF cliente_id, estado, creado_en ON pedidos
WHEN OLD.cliente_id IS NOT NEW.cliente_id OR OLD.creado_en IS NOT NEW.creado_en
    OR (OLD.estado = 'cancelado') IS NOT (NEW.estado = 'cancelado')
BEGIN
    UPDATE analitica_conversaciones SET convertida = EXISTS (SELECT 1 FROM pedidos p
        WHERE p.cliente_id = analitica_conversaciones.cliente_id AND p.estado <> 'cancelado'
          AND p.creado_en >= analitica_conversaciones.en AND p.creado_en < analitica_conversaciones.en + 604800000)
    WHERE (cliente_id = OLD.cliente_id AND en <= OLD.creado_en AND en > OLD.creado_en - 604800000)
       OR (cliente_id = NEW.cliente_id AND en <= NEW.creado_en AND en > NEW.creado_en - 604800000);
END;

CREATE TRIGGER pedidos_analitica_conversion_ad AFTER DELETE ON pedidos
WHEN OLD.estado <> 'cancelado'
BEGIN
    UPDATE analitica_conversaciones SET convertida = EXISTS (SELECT 1 FROM pedidos p
        WHERE p.cliente_id = analitica_conversaciones.cliente_id AND p.estado <> 'cancelado'
          AND p.creado_en >= analitica_conversaciones.en AND p.creado_en < analitica_conversaciones.en + 604800000)
    WHERE cliente_id = OLD.cliente_id AND en <= OLD.creado_en AND en > OLD.creado_en - 604800000;
END;
