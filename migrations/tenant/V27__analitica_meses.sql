-- Monthly summaries for the dashboard (issue 5, scope 6: any period under 50 ms at 1M orders).
-- A period is read as whole months of the brand's zone from the `*_mes` tables plus the
-- partial months at both ends from the daily rows (`analytics::span`), so a year reads about
-- twelve monthly rows per key instead of 365 daily rows or every conversation and survey.
--
-- Every `*_mes` table is the sum of its `*_dia` table by month (`substr(dia, 1, 7)`), kept by
-- generic triggers per pair (insert, update, delete of a daily row move the month by
-- the difference). The daily tables new here follow their sources the way V9 and V25 do:
-- triggers in the same transaction as the write, local days through `analitica_zona`.
-- `analytics::rollups::rebuild` refills everything set-based (`analytics::monthly`), and
-- `rollups::recompute` proves it. Derived data: not in `changes`, not mirrored.
--
-- LOCAL_DAY(t) below is written out as in V9.

-- ---------------------------------------------------------------------------------------
-- Orders, revenue and cancellations per month and channel (from `analitica_dia`), new
-- customers per month (from `analitica_nuevos_dia`), products per month (from
-- `analitica_producto_dia`).

CREATE TABLE analitica_mes (
    mes         TEXT NOT NULL,          -- YYYY-MM in the brand's zone
    canal       TEXT NOT NULL,
    pedidos     INTEGER NOT NULL,
    ingresos    INTEGER NOT NULL,
    cancelados  INTEGER NOT NULL,
    PRIMARY KEY (mes, canal)
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_nuevos_mes (
    mes         TEXT PRIMARY KEY,
    clientes    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_producto_mes (
    mes         TEXT NOT NULL,
    sku         TEXT NOT NULL,
    unidades    INTEGER NOT NULL,
    ingresos    INTEGER NOT NULL,
    PRIMARY KEY (mes, sku)
) STRICT, WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Distinct active customers. A customer-month (a month in which the customer ordered) is
-- counted under the customer's last order day before that month (`anterior`, '' for none).
-- The customers active in whole months [m1, m2] whose previous activity is before a day a
-- are then the rows of [m1, m2] with `anterior` < a: whole earlier months from
-- `analitica_activos_mes` (keyed by the month of `anterior`), the days of a's own month
-- from `analitica_activos_mes_dia` — at most 31 keys per month read.

CREATE TABLE analitica_activos_mes_dia (
    mes         TEXT NOT NULL,
    anterior    TEXT NOT NULL,          -- YYYY-MM-DD, '' for the customer's first month
    clientes    INTEGER NOT NULL,
    PRIMARY KEY (anterior, mes)         -- read by a range of days of `anterior`
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_activos_mes (
    mes         TEXT NOT NULL,
    anterior    TEXT NOT NULL,          -- YYYY-MM of the previous order day, '' for none
    clientes    INTEGER NOT NULL,
    PRIMARY KEY (mes, anterior)
) STRICT, WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Conversations started and converted per local day and channel (from
-- `analitica_conversaciones`, V25), and per month.

CREATE TABLE analitica_conversion_dia (
    dia             TEXT NOT NULL,
    canal           TEXT NOT NULL,
    conversaciones  INTEGER NOT NULL,
    convertidas     INTEGER NOT NULL,
    PRIMARY KEY (dia, canal)
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_conversion_mes (
    mes             TEXT NOT NULL,
    canal           TEXT NOT NULL,
    conversaciones  INTEGER NOT NULL,
    convertidas     INTEGER NOT NULL,
    PRIMARY KEY (mes, canal)
) STRICT, WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Survey answers per local day of `respondida_en` (from `encuestas`), and per month:
-- CSAT sum and count, NPS promoters (9-10), passives (7-8), detractors (0-6).

CREATE TABLE analitica_satisfaccion_dia (
    dia             TEXT PRIMARY KEY,
    csat_suma       INTEGER NOT NULL,
    csat_respuestas INTEGER NOT NULL,
    promotores      INTEGER NOT NULL,
    pasivos         INTEGER NOT NULL,
    detractores     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_satisfaccion_mes (
    mes             TEXT PRIMARY KEY,
    csat_suma       INTEGER NOT NULL,
    csat_respuestas INTEGER NOT NULL,
    promotores      INTEGER NOT NULL,
    pasivos         INTEGER NOT NULL,
    detractores     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Environmental impact: units of each product in delivered orders per local day, and the
-- delivered orders with at least one line. The CO₂ and plastic per unit are read from
-- `productos.atributos` at request time (an edited attribute applies to the whole history,
-- as before), so only units are summed here.

CREATE TABLE analitica_impacto_dia (
    dia         TEXT NOT NULL,
    producto_id INTEGER NOT NULL,
    unidades    INTEGER NOT NULL,
    PRIMARY KEY (dia, producto_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_impacto_mes (
    mes         TEXT NOT NULL,
    producto_id INTEGER NOT NULL,
    unidades    INTEGER NOT NULL,
    PRIMARY KEY (mes, producto_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_entregados_dia (
    dia         TEXT PRIMARY KEY,
    pedidos     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_entregados_mes (
    mes         TEXT PRIMARY KEY,
    pedidos     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- ---------------------------------------------------------------------------------------
-- Fill from what exists (the same statements as `analytics::monthly::rebuild`).

INSERT INTO analitica_activos_mes_dia (mes, anterior, clientes)
SELECT substr(dia, 1, 7), COALESCE(anterior, ''), COUNT(*) FROM analitica_cliente_dia
WHERE anterior IS NULL OR substr(anterior, 1, 7) < substr(dia, 1, 7)
GROUP BY substr(dia, 1, 7), COALESCE(anterior, '');

INSERT INTO analitica_conversion_dia (dia, canal, conversaciones, convertidas)
SELECT dia, canal, COUNT(*), SUM(convertida)
FROM (SELECT date((en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AS dia, canal, convertida FROM analitica_conversaciones)
GROUP BY dia, canal;

INSERT INTO analitica_satisfaccion_dia (dia, csat_suma, csat_respuestas, promotores, pasivos, detractores)
SELECT dia, COALESCE(SUM(csat), 0), COUNT(csat), COALESCE(SUM(nps >= 9), 0),
       COALESCE(SUM(nps BETWEEN 7 AND 8), 0), COALESCE(SUM(nps <= 6), 0)
FROM (SELECT date((respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AS dia, csat, nps FROM encuestas
      WHERE respondida_en IS NOT NULL AND (csat IS NOT NULL OR nps IS NOT NULL))
GROUP BY dia;

INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
SELECT dia, producto_id, SUM(cantidad)
FROM (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AS dia, i.producto_id, i.cantidad
      FROM pedido_items i JOIN pedidos p ON p.id = i.pedido_id
      WHERE p.estado = 'entregado' AND i.producto_id IS NOT NULL)
GROUP BY dia, producto_id;

INSERT INTO analitica_entregados_dia (dia, pedidos)
SELECT dia, COUNT(*)
FROM (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AS dia FROM pedidos p
      WHERE p.estado = 'entregado' AND EXISTS (SELECT 1 FROM pedido_items i WHERE i.pedido_id = p.id))
GROUP BY dia;

INSERT INTO analitica_mes (mes, canal, pedidos, ingresos, cancelados)
SELECT substr(dia, 1, 7), canal, SUM(pedidos), SUM(ingresos), SUM(cancelados)
FROM analitica_dia GROUP BY substr(dia, 1, 7), canal;
INSERT INTO analitica_nuevos_mes (mes, clientes)
SELECT substr(dia, 1, 7), SUM(clientes) FROM analitica_nuevos_dia GROUP BY substr(dia, 1, 7);
INSERT INTO analitica_producto_mes (mes, sku, unidades, ingresos)
SELECT substr(dia, 1, 7), sku, SUM(unidades), SUM(ingresos)
FROM analitica_producto_dia GROUP BY substr(dia, 1, 7), sku;
INSERT INTO analitica_activos_mes (mes, anterior, clientes)
SELECT mes, substr(anterior, 1, 7), SUM(clientes) FROM analitica_activos_mes_dia
GROUP BY mes, substr(anterior, 1, 7);
INSERT INTO analitica_conversion_mes (mes, canal, conversaciones, convertidas)
SELECT substr(dia, 1, 7), canal, SUM(conversaciones), SUM(convertidas)
FROM analitica_conversion_dia GROUP BY substr(dia, 1, 7), canal;
INSERT INTO analitica_satisfaccion_mes (mes, csat_suma, csat_respuestas, promotores, pasivos, detractores)
SELECT substr(dia, 1, 7), SUM(csat_suma), SUM(csat_respuestas), SUM(promotores), SUM(pasivos), SUM(detractores)
FROM analitica_satisfaccion_dia GROUP BY substr(dia, 1, 7);
INSERT INTO analitica_impacto_mes (mes, producto_id, unidades)
SELECT substr(dia, 1, 7), producto_id, SUM(unidades)
FROM analitica_impacto_dia GROUP BY substr(dia, 1, 7), producto_id;
INSERT INTO analitica_entregados_mes (mes, pedidos)
SELECT substr(dia, 1, 7), SUM(pedidos) FROM analitica_entregados_dia GROUP BY substr(dia, 1, 7);

-- ---------------------------------------------------------------------------------------
-- Customer-months by previous order day, from the customer-day rows. Only which days exist
-- matters (not the `anterior` column V25 maintains, so the order in which the two sets of
-- triggers fire is irrelevant). A new day may open a month for the customer (one more
-- customer-month under the last day before it) and may become the last day before the
-- customer's next month (that month moves to it); a day removed undoes both. Each part is
-- its own trigger with its condition in WHEN, so the usual write (a customer's newest day)
-- runs one statement.

CREATE TRIGGER analitica_cliente_dia_activos_ai AFTER INSERT ON analitica_cliente_dia
WHEN NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                 AND dia BETWEEN substr(NEW.dia, 1, 7) || '-01' AND substr(NEW.dia, 1, 7) || '-99'
                 AND dia <> NEW.dia)
BEGIN
    INSERT INTO analitica_activos_mes_dia (mes, anterior, clientes)
    VALUES (substr(NEW.dia, 1, 7),
        COALESCE((SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                  AND dia < substr(NEW.dia, 1, 7) || '-01'), ''), 1)
    ON CONFLICT (anterior, mes) DO UPDATE SET clientes = clientes + 1;
END;

-- Only for a day written before the customer's later months (an order back-dated, moved
-- or imported): the usual new day is the customer's last.
CREATE TRIGGER analitica_cliente_dia_activos_ai_despues AFTER INSERT ON analitica_cliente_dia
WHEN EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
             AND dia > substr(NEW.dia, 1, 7) || '-99')
  AND NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                  AND dia > NEW.dia AND dia < substr(NEW.dia, 1, 7) || '-99')
BEGIN
    UPDATE analitica_activos_mes_dia SET clientes = clientes - 1
    WHERE mes = substr((SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                        AND dia > substr(NEW.dia, 1, 7) || '-99'), 1, 7)
      AND anterior = COALESCE((SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                               AND dia < NEW.dia), '');
    DELETE FROM analitica_activos_mes_dia WHERE clientes = 0
      AND anterior = COALESCE((SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                               AND dia < NEW.dia), '')
      AND mes = substr((SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = NEW.cliente_id
                        AND dia > substr(NEW.dia, 1, 7) || '-99'), 1, 7);
    INSERT INTO analitica_activos_mes_dia (mes, anterior, clientes)
    SELECT substr(MIN(dia), 1, 7), NEW.dia, 1 FROM analitica_cliente_dia
    WHERE cliente_id = NEW.cliente_id AND dia > substr(NEW.dia, 1, 7) || '-99'
    ON CONFLICT (anterior, mes) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER analitica_cliente_dia_activos_ad AFTER DELETE ON analitica_cliente_dia
WHEN NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                 AND dia BETWEEN substr(OLD.dia, 1, 7) || '-01' AND substr(OLD.dia, 1, 7) || '-99')
BEGIN
    UPDATE analitica_activos_mes_dia SET clientes = clientes - 1
    WHERE mes = substr(OLD.dia, 1, 7)
      AND anterior = COALESCE((SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                               AND dia < substr(OLD.dia, 1, 7) || '-01'), '');
    DELETE FROM analitica_activos_mes_dia WHERE clientes = 0 AND mes = substr(OLD.dia, 1, 7)
      AND anterior = COALESCE((SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                               AND dia < substr(OLD.dia, 1, 7) || '-01'), '');
END;

CREATE TRIGGER analitica_cliente_dia_activos_ad_despues AFTER DELETE ON analitica_cliente_dia
WHEN EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
             AND dia > substr(OLD.dia, 1, 7) || '-99')
  AND NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                  AND dia > OLD.dia AND dia < substr(OLD.dia, 1, 7) || '-99')
BEGIN
    UPDATE analitica_activos_mes_dia SET clientes = clientes - 1
    WHERE mes = substr((SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                        AND dia > substr(OLD.dia, 1, 7) || '-99'), 1, 7)
      AND anterior = OLD.dia;
    DELETE FROM analitica_activos_mes_dia WHERE clientes = 0 AND anterior = OLD.dia
      AND mes = substr((SELECT MIN(dia) FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                        AND dia > substr(OLD.dia, 1, 7) || '-99'), 1, 7);
    INSERT INTO analitica_activos_mes_dia (mes, anterior, clientes)
    SELECT substr(MIN(dia), 1, 7),
        COALESCE((SELECT MAX(dia) FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                  AND dia < OLD.dia), ''), 1
    FROM analitica_cliente_dia
    WHERE cliente_id = OLD.cliente_id AND dia > substr(OLD.dia, 1, 7) || '-99'
    ON CONFLICT (anterior, mes) DO UPDATE SET clientes = clientes + 1;
END;

-- ---------------------------------------------------------------------------------------
-- Conversations per day: each start row counted on the local day of `en`.

CREATE TRIGGER analitica_conversaciones_dia_ai AFTER INSERT ON analitica_conversaciones BEGIN
    INSERT INTO analitica_conversion_dia (dia, canal, conversaciones, convertidas)
    VALUES (date((NEW.en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), NEW.canal, 1, NEW.convertida)
    ON CONFLICT (dia, canal) DO UPDATE SET conversaciones = conversaciones + 1,
        convertidas = convertidas + excluded.convertidas;
END;

CREATE TRIGGER analitica_conversaciones_dia_ad AFTER DELETE ON analitica_conversaciones BEGIN
    UPDATE analitica_conversion_dia SET conversaciones = conversaciones - 1,
        convertidas = convertidas - OLD.convertida
    WHERE dia = date((OLD.en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AND canal = OLD.canal;
    DELETE FROM analitica_conversion_dia WHERE conversaciones = 0
      AND dia = date((OLD.en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AND canal = OLD.canal;
END;

-- A start changing its conversion (an order placed, cancelled, moved) or, should it ever
-- happen, its time or channel.
CREATE TRIGGER analitica_conversaciones_dia_au AFTER UPDATE OF en, canal, convertida ON analitica_conversaciones
WHEN OLD.en IS NOT NEW.en OR OLD.canal IS NOT NEW.canal OR OLD.convertida IS NOT NEW.convertida
BEGIN
    UPDATE analitica_conversion_dia SET conversaciones = conversaciones - 1,
        convertidas = convertidas - OLD.convertida
    WHERE dia = date((OLD.en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AND canal = OLD.canal;
    INSERT INTO analitica_conversion_dia (dia, canal, conversaciones, convertidas)
    VALUES (date((NEW.en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), NEW.canal, 1, NEW.convertida)
    ON CONFLICT (dia, canal) DO UPDATE SET conversaciones = conversaciones + 1,
        convertidas = convertidas + excluded.convertidas;
    DELETE FROM analitica_conversion_dia WHERE conversaciones = 0
      AND dia = date((OLD.en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AND canal = OLD.canal;
END;

-- ---------------------------------------------------------------------------------------
-- Survey answers per day. A survey counts when it has an answer time and a CSAT or NPS
-- score; a later answer (the NPS after the CSAT) moves it to the day of that answer.

CREATE TRIGGER encuestas_analitica_ai AFTER INSERT ON encuestas
WHEN NEW.respondida_en IS NOT NULL AND (NEW.csat IS NOT NULL OR NEW.nps IS NOT NULL)
BEGIN
    INSERT INTO analitica_satisfaccion_dia (dia, csat_suma, csat_respuestas, promotores, pasivos, detractores)
    VALUES (date((NEW.respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), IFNULL(NEW.csat, 0), NEW.csat IS NOT NULL,
        IFNULL(NEW.nps >= 9, 0), IFNULL(NEW.nps BETWEEN 7 AND 8, 0), IFNULL(NEW.nps <= 6, 0))
    ON CONFLICT (dia) DO UPDATE SET csat_suma = csat_suma + excluded.csat_suma,
        csat_respuestas = csat_respuestas + excluded.csat_respuestas,
        promotores = promotores + excluded.promotores, pasivos = pasivos + excluded.pasivos,
        detractores = detractores + excluded.detractores;
END;

CREATE TRIGGER encuestas_analitica_ad AFTER DELETE ON encuestas
WHEN OLD.respondida_en IS NOT NULL AND (OLD.csat IS NOT NULL OR OLD.nps IS NOT NULL)
BEGIN
    UPDATE analitica_satisfaccion_dia SET csat_suma = csat_suma - IFNULL(OLD.csat, 0),
        csat_respuestas = csat_respuestas - (OLD.csat IS NOT NULL),
        promotores = promotores - IFNULL(OLD.nps >= 9, 0),
        pasivos = pasivos - IFNULL(OLD.nps BETWEEN 7 AND 8, 0),
        detractores = detractores - IFNULL(OLD.nps <= 6, 0)
    WHERE dia = date((OLD.respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    DELETE FROM analitica_satisfaccion_dia WHERE dia = date((OLD.respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch')
      AND csat_respuestas = 0 AND promotores = 0 AND pasivos = 0 AND detractores = 0;
END;

CREATE TRIGGER encuestas_analitica_au AFTER UPDATE OF respondida_en, csat, nps ON encuestas
WHEN OLD.respondida_en IS NOT NEW.respondida_en OR OLD.csat IS NOT NEW.csat OR OLD.nps IS NOT NEW.nps
BEGIN
    UPDATE analitica_satisfaccion_dia SET csat_suma = csat_suma - IFNULL(OLD.csat, 0),
        csat_respuestas = csat_respuestas - (OLD.csat IS NOT NULL),
        promotores = promotores - IFNULL(OLD.nps >= 9, 0),
        pasivos = pasivos - IFNULL(OLD.nps BETWEEN 7 AND 8, 0),
        detractores = detractores - IFNULL(OLD.nps <= 6, 0)
    WHERE OLD.respondida_en IS NOT NULL AND dia = date((OLD.respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    INSERT INTO analitica_satisfaccion_dia (dia, csat_suma, csat_respuestas, promotores, pasivos, detractores)
    SELECT date((NEW.respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), IFNULL(NEW.csat, 0), NEW.csat IS NOT NULL,
        IFNULL(NEW.nps >= 9, 0), IFNULL(NEW.nps BETWEEN 7 AND 8, 0), IFNULL(NEW.nps <= 6, 0)
    WHERE NEW.respondida_en IS NOT NULL AND (NEW.csat IS NOT NULL OR NEW.nps IS NOT NULL)
    ON CONFLICT (dia) DO UPDATE SET csat_suma = csat_suma + excluded.csat_suma,
        csat_respuestas = csat_respuestas + excluded.csat_respuestas,
        promotores = promotores + excluded.promotores, pasivos = pasivos + excluded.pasivos,
        detractores = detractores + excluded.detractores;
    DELETE FROM analitica_satisfaccion_dia WHERE OLD.respondida_en IS NOT NULL
      AND dia = date((OLD.respondida_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.respondida_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch')
      AND csat_respuestas = 0 AND promotores = 0 AND pasivos = 0 AND detractores = 0;
END;

-- ---------------------------------------------------------------------------------------
-- Delivered units and orders per day. An order counts while it is `entregado`, on the
-- local day of its `creado_en` (as the impact block always read it); its lines' units
-- follow status and date changes, and lines added, edited or removed.

CREATE TRIGGER pedidos_analitica_impacto_ai AFTER INSERT ON pedidos
WHEN NEW.estado = 'entregado'
BEGIN
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), producto_id, SUM(cantidad) FROM pedido_items
    WHERE pedido_id = NEW.id AND producto_id IS NOT NULL GROUP BY producto_id
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    INSERT INTO analitica_entregados_dia (dia, pedidos)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), 1 WHERE EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = NEW.id)
    ON CONFLICT (dia) DO UPDATE SET pedidos = pedidos + 1;
END;

-- Delivered: its lines' units join its day. The common step, so it does only that.
CREATE TRIGGER pedidos_analitica_impacto_entrega AFTER UPDATE OF estado ON pedidos
WHEN OLD.estado <> 'entregado' AND NEW.estado = 'entregado'
BEGIN
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), producto_id, SUM(cantidad) FROM pedido_items
    WHERE pedido_id = NEW.id AND producto_id IS NOT NULL GROUP BY producto_id
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    INSERT INTO analitica_entregados_dia (dia, pedidos)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), 1 WHERE EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = NEW.id)
    ON CONFLICT (dia) DO UPDATE SET pedidos = pedidos + 1;
END;

-- No longer delivered (a correction), or delivered and moved to another time: out of the
-- old day, and into the new one if still delivered.
CREATE TRIGGER pedidos_analitica_impacto_au AFTER UPDATE OF estado, creado_en ON pedidos
WHEN OLD.estado = 'entregado' AND (NEW.estado <> 'entregado' OR OLD.creado_en IS NOT NEW.creado_en)
BEGIN
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), producto_id, -SUM(cantidad) FROM pedido_items
    WHERE pedido_id = OLD.id AND producto_id IS NOT NULL GROUP BY producto_id
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    UPDATE analitica_entregados_dia SET pedidos = pedidos - 1
    WHERE dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') AND EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = OLD.id);
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), producto_id, SUM(cantidad) FROM pedido_items
    WHERE pedido_id = NEW.id AND producto_id IS NOT NULL AND NEW.estado = 'entregado' GROUP BY producto_id
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    INSERT INTO analitica_entregados_dia (dia, pedidos)
    SELECT date((NEW.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= NEW.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), 1
    WHERE NEW.estado = 'entregado' AND EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = NEW.id)
    ON CONFLICT (dia) DO UPDATE SET pedidos = pedidos + 1;
    DELETE FROM analitica_impacto_dia WHERE unidades = 0 AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
    DELETE FROM analitica_entregados_dia WHERE pedidos = 0 AND dia = date((OLD.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= OLD.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch');
END;

-- Lines count only in delivered orders, so their triggers do nothing for the others (most
-- lines are written before delivery). Deleting an order deletes its lines first (V9's
-- BEFORE DELETE trigger), so the line triggers below also cover deleted orders.
CREATE TRIGGER pedido_items_analitica_impacto_ai AFTER INSERT ON pedido_items
WHEN EXISTS (SELECT 1 FROM pedidos WHERE id = NEW.pedido_id AND estado = 'entregado')
BEGIN
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), NEW.producto_id, NEW.cantidad
    FROM pedidos p WHERE p.id = NEW.pedido_id AND p.estado = 'entregado' AND NEW.producto_id IS NOT NULL
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    INSERT INTO analitica_entregados_dia (dia, pedidos)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), 1
    FROM pedidos p WHERE p.id = NEW.pedido_id AND p.estado = 'entregado'
      AND NOT EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = NEW.pedido_id AND id <> NEW.id)
    ON CONFLICT (dia) DO UPDATE SET pedidos = pedidos + 1;
END;

CREATE TRIGGER pedido_items_analitica_impacto_ad AFTER DELETE ON pedido_items
WHEN EXISTS (SELECT 1 FROM pedidos WHERE id = OLD.pedido_id AND estado = 'entregado')
BEGIN
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), OLD.producto_id, -OLD.cantidad
    FROM pedidos p WHERE p.id = OLD.pedido_id AND p.estado = 'entregado' AND OLD.producto_id IS NOT NULL
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    UPDATE analitica_entregados_dia SET pedidos = pedidos - 1
    WHERE dia = (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') FROM pedidos p
                 WHERE p.id = OLD.pedido_id AND p.estado = 'entregado')
      AND NOT EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = OLD.pedido_id);
    DELETE FROM analitica_impacto_dia WHERE unidades = 0 AND producto_id = OLD.producto_id
      AND dia = (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') FROM pedidos p WHERE p.id = OLD.pedido_id);
    DELETE FROM analitica_entregados_dia WHERE pedidos = 0
      AND dia = (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') FROM pedidos p WHERE p.id = OLD.pedido_id);
END;

CREATE TRIGGER pedido_items_analitica_impacto_au AFTER UPDATE OF pedido_id, producto_id, cantidad ON pedido_items
WHEN (OLD.pedido_id IS NOT NEW.pedido_id OR OLD.producto_id IS NOT NEW.producto_id OR OLD.cantidad IS NOT NEW.cantidad)
    AND EXISTS (SELECT 1 FROM pedidos WHERE id IN (OLD.pedido_id, NEW.pedido_id) AND estado = 'entregado')
BEGIN
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), OLD.producto_id, -OLD.cantidad
    FROM pedidos p WHERE p.id = OLD.pedido_id AND p.estado = 'entregado' AND OLD.producto_id IS NOT NULL
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), NEW.producto_id, NEW.cantidad
    FROM pedidos p WHERE p.id = NEW.pedido_id AND p.estado = 'entregado' AND NEW.producto_id IS NOT NULL
    ON CONFLICT (dia, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    -- A line moved to another order: the old one may have lost its last line, the new one
    -- gained its first.
    UPDATE analitica_entregados_dia SET pedidos = pedidos - 1
    WHERE OLD.pedido_id IS NOT NEW.pedido_id
      AND dia = (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') FROM pedidos p
                 WHERE p.id = OLD.pedido_id AND p.estado = 'entregado')
      AND NOT EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = OLD.pedido_id);
    INSERT INTO analitica_entregados_dia (dia, pedidos)
    SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch'), 1
    FROM pedidos p WHERE OLD.pedido_id IS NOT NEW.pedido_id AND p.id = NEW.pedido_id
      AND p.estado = 'entregado'
      AND NOT EXISTS (SELECT 1 FROM pedido_items WHERE pedido_id = NEW.pedido_id AND id <> NEW.id)
    ON CONFLICT (dia) DO UPDATE SET pedidos = pedidos + 1;
    DELETE FROM analitica_impacto_dia WHERE unidades = 0 AND producto_id = OLD.producto_id
      AND dia = (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') FROM pedidos p WHERE p.id = OLD.pedido_id);
    DELETE FROM analitica_entregados_dia WHERE pedidos = 0
      AND dia = (SELECT date((p.creado_en + COALESCE((SELECT offset_ms FROM analitica_zona WHERE desde_ms <= p.creado_en ORDER BY desde_ms DESC LIMIT 1), 0)) / 1000, 'unixepoch') FROM pedidos p WHERE p.id = OLD.pedido_id);
END;

-- ---------------------------------------------------------------------------------------
-- Each month is the sum of its days: a daily row inserted adds to its month, an updated one
-- adds the difference (one statement: the common case, every order write updates a daily
-- row), a deleted one subtracts and the month falls away with its last day (the same zero
-- rule as the daily rows). Daily rows never change key; should one, `_mes_am` moves it.

CREATE TRIGGER analitica_dia_mes_ai AFTER INSERT ON analitica_dia BEGIN
    INSERT INTO analitica_mes (mes, canal, pedidos, ingresos, cancelados)
    VALUES (substr(NEW.dia, 1, 7), NEW.canal, NEW.pedidos, NEW.ingresos, NEW.cancelados)
    ON CONFLICT (mes, canal) DO UPDATE SET pedidos = pedidos + excluded.pedidos, ingresos = ingresos + excluded.ingresos, cancelados = cancelados + excluded.cancelados;
END;

CREATE TRIGGER analitica_dia_mes_au AFTER UPDATE ON analitica_dia WHEN OLD.dia IS NEW.dia AND OLD.canal IS NEW.canal BEGIN
    INSERT INTO analitica_mes (mes, canal, pedidos, ingresos, cancelados)
    VALUES (substr(NEW.dia, 1, 7), NEW.canal, NEW.pedidos - OLD.pedidos, NEW.ingresos - OLD.ingresos, NEW.cancelados - OLD.cancelados)
    ON CONFLICT (mes, canal) DO UPDATE SET pedidos = pedidos + excluded.pedidos, ingresos = ingresos + excluded.ingresos, cancelados = cancelados + excluded.cancelados;
END;

CREATE TRIGGER analitica_dia_mes_am AFTER UPDATE ON analitica_dia WHEN NOT (OLD.dia IS NEW.dia AND OLD.canal IS NEW.canal) BEGIN
    UPDATE analitica_mes SET pedidos = pedidos - OLD.pedidos, ingresos = ingresos - OLD.ingresos, cancelados = cancelados - OLD.cancelados
    WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal;
    INSERT INTO analitica_mes (mes, canal, pedidos, ingresos, cancelados)
    VALUES (substr(NEW.dia, 1, 7), NEW.canal, NEW.pedidos, NEW.ingresos, NEW.cancelados)
    ON CONFLICT (mes, canal) DO UPDATE SET pedidos = pedidos + excluded.pedidos, ingresos = ingresos + excluded.ingresos, cancelados = cancelados + excluded.cancelados;
    DELETE FROM analitica_mes WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal AND pedidos = 0 AND cancelados = 0;
    DELETE FROM analitica_mes WHERE mes = substr(NEW.dia, 1, 7) AND canal = NEW.canal AND pedidos = 0 AND cancelados = 0;
END;

CREATE TRIGGER analitica_dia_mes_ad AFTER DELETE ON analitica_dia BEGIN
    UPDATE analitica_mes SET pedidos = pedidos - OLD.pedidos, ingresos = ingresos - OLD.ingresos, cancelados = cancelados - OLD.cancelados
    WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal;
    DELETE FROM analitica_mes WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal AND pedidos = 0 AND cancelados = 0;
END;

CREATE TRIGGER analitica_nuevos_dia_mes_ai AFTER INSERT ON analitica_nuevos_dia BEGIN
    INSERT INTO analitica_nuevos_mes (mes, clientes)
    VALUES (substr(NEW.dia, 1, 7), NEW.clientes)
    ON CONFLICT (mes) DO UPDATE SET clientes = clientes + excluded.clientes;
END;

CREATE TRIGGER analitica_nuevos_dia_mes_au AFTER UPDATE ON analitica_nuevos_dia WHEN OLD.dia IS NEW.dia BEGIN
    INSERT INTO analitica_nuevos_mes (mes, clientes)
    VALUES (substr(NEW.dia, 1, 7), NEW.clientes - OLD.clientes)
    ON CONFLICT (mes) DO UPDATE SET clientes = clientes + excluded.clientes;
END;

CREATE TRIGGER analitica_nuevos_dia_mes_am AFTER UPDATE ON analitica_nuevos_dia WHEN NOT (OLD.dia IS NEW.dia) BEGIN
    UPDATE analitica_nuevos_mes SET clientes = clientes - OLD.clientes
    WHERE mes = substr(OLD.dia, 1, 7);
    INSERT INTO analitica_nuevos_mes (mes, clientes)
    VALUES (substr(NEW.dia, 1, 7), NEW.clientes)
    ON CONFLICT (mes) DO UPDATE SET clientes = clientes + excluded.clientes;
    DELETE FROM analitica_nuevos_mes WHERE mes = substr(OLD.dia, 1, 7) AND clientes = 0;
    DELETE FROM analitica_nuevos_mes WHERE mes = substr(NEW.dia, 1, 7) AND clientes = 0;
END;

CREATE TRIGGER analitica_nuevos_dia_mes_ad AFTER DELETE ON analitica_nuevos_dia BEGIN
    UPDATE analitica_nuevos_mes SET clientes = clientes - OLD.clientes
    WHERE mes = substr(OLD.dia, 1, 7);
    DELETE FROM analitica_nuevos_mes WHERE mes = substr(OLD.dia, 1, 7) AND clientes = 0;
END;

CREATE TRIGGER analitica_producto_dia_mes_ai AFTER INSERT ON analitica_producto_dia BEGIN
    INSERT INTO analitica_producto_mes (mes, sku, unidades, ingresos)
    VALUES (substr(NEW.dia, 1, 7), NEW.sku, NEW.unidades, NEW.ingresos)
    ON CONFLICT (mes, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
END;

CREATE TRIGGER analitica_producto_dia_mes_au AFTER UPDATE ON analitica_producto_dia WHEN OLD.dia IS NEW.dia AND OLD.sku IS NEW.sku BEGIN
    INSERT INTO analitica_producto_mes (mes, sku, unidades, ingresos)
    VALUES (substr(NEW.dia, 1, 7), NEW.sku, NEW.unidades - OLD.unidades, NEW.ingresos - OLD.ingresos)
    ON CONFLICT (mes, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
END;

CREATE TRIGGER analitica_producto_dia_mes_am AFTER UPDATE ON analitica_producto_dia WHEN NOT (OLD.dia IS NEW.dia AND OLD.sku IS NEW.sku) BEGIN
    UPDATE analitica_producto_mes SET unidades = unidades - OLD.unidades, ingresos = ingresos - OLD.ingresos
    WHERE mes = substr(OLD.dia, 1, 7) AND sku = OLD.sku;
    INSERT INTO analitica_producto_mes (mes, sku, unidades, ingresos)
    VALUES (substr(NEW.dia, 1, 7), NEW.sku, NEW.unidades, NEW.ingresos)
    ON CONFLICT (mes, sku) DO UPDATE SET unidades = unidades + excluded.unidades, ingresos = ingresos + excluded.ingresos;
    DELETE FROM analitica_producto_mes WHERE mes = substr(OLD.dia, 1, 7) AND sku = OLD.sku AND unidades = 0;
    DELETE FROM analitica_producto_mes WHERE mes = substr(NEW.dia, 1, 7) AND sku = NEW.sku AND unidades = 0;
END;

CREATE TRIGGER analitica_producto_dia_mes_ad AFTER DELETE ON analitica_producto_dia BEGIN
    UPDATE analitica_producto_mes SET unidades = unidades - OLD.unidades, ingresos = ingresos - OLD.ingresos
    WHERE mes = substr(OLD.dia, 1, 7) AND sku = OLD.sku;
    DELETE FROM analitica_producto_mes WHERE mes = substr(OLD.dia, 1, 7) AND sku = OLD.sku AND unidades = 0;
END;

CREATE TRIGGER analitica_activos_mes_dia_mes_ai AFTER INSERT ON analitica_activos_mes_dia BEGIN
    INSERT INTO analitica_activos_mes (mes, anterior, clientes)
    VALUES (NEW.mes, substr(NEW.anterior, 1, 7), NEW.clientes)
    ON CONFLICT (mes, anterior) DO UPDATE SET clientes = clientes + excluded.clientes;
END;

CREATE TRIGGER analitica_activos_mes_dia_mes_au AFTER UPDATE ON analitica_activos_mes_dia WHEN OLD.mes IS NEW.mes AND OLD.anterior IS NEW.anterior BEGIN
    INSERT INTO analitica_activos_mes (mes, anterior, clientes)
    VALUES (NEW.mes, substr(NEW.anterior, 1, 7), NEW.clientes - OLD.clientes)
    ON CONFLICT (mes, anterior) DO UPDATE SET clientes = clientes + excluded.clientes;
END;

CREATE TRIGGER analitica_activos_mes_dia_mes_am AFTER UPDATE ON analitica_activos_mes_dia WHEN NOT (OLD.mes IS NEW.mes AND OLD.anterior IS NEW.anterior) BEGIN
    UPDATE analitica_activos_mes SET clientes = clientes - OLD.clientes
    WHERE mes = OLD.mes AND anterior = substr(OLD.anterior, 1, 7);
    INSERT INTO analitica_activos_mes (mes, anterior, clientes)
    VALUES (NEW.mes, substr(NEW.anterior, 1, 7), NEW.clientes)
    ON CONFLICT (mes, anterior) DO UPDATE SET clientes = clientes + excluded.clientes;
    DELETE FROM analitica_activos_mes WHERE mes = OLD.mes AND anterior = substr(OLD.anterior, 1, 7) AND clientes = 0;
    DELETE FROM analitica_activos_mes WHERE mes = NEW.mes AND anterior = substr(NEW.anterior, 1, 7) AND clientes = 0;
END;

CREATE TRIGGER analitica_activos_mes_dia_mes_ad AFTER DELETE ON analitica_activos_mes_dia BEGIN
    UPDATE analitica_activos_mes SET clientes = clientes - OLD.clientes
    WHERE mes = OLD.mes AND anterior = substr(OLD.anterior, 1, 7);
    DELETE FROM analitica_activos_mes WHERE mes = OLD.mes AND anterior = substr(OLD.anterior, 1, 7) AND clientes = 0;
END;

CREATE TRIGGER analitica_conversion_dia_mes_ai AFTER INSERT ON analitica_conversion_dia BEGIN
    INSERT INTO analitica_conversion_mes (mes, canal, conversaciones, convertidas)
    VALUES (substr(NEW.dia, 1, 7), NEW.canal, NEW.conversaciones, NEW.convertidas)
    ON CONFLICT (mes, canal) DO UPDATE SET conversaciones = conversaciones + excluded.conversaciones, convertidas = convertidas + excluded.convertidas;
END;

CREATE TRIGGER analitica_conversion_dia_mes_au AFTER UPDATE ON analitica_conversion_dia WHEN OLD.dia IS NEW.dia AND OLD.canal IS NEW.canal BEGIN
    INSERT INTO analitica_conversion_mes (mes, canal, conversaciones, convertidas)
    VALUES (substr(NEW.dia, 1, 7), NEW.canal, NEW.conversaciones - OLD.conversaciones, NEW.convertidas - OLD.convertidas)
    ON CONFLICT (mes, canal) DO UPDATE SET conversaciones = conversaciones + excluded.conversaciones, convertidas = convertidas + excluded.convertidas;
END;

CREATE TRIGGER analitica_conversion_dia_mes_am AFTER UPDATE ON analitica_conversion_dia WHEN NOT (OLD.dia IS NEW.dia AND OLD.canal IS NEW.canal) BEGIN
    UPDATE analitica_conversion_mes SET conversaciones = conversaciones - OLD.conversaciones, convertidas = convertidas - OLD.convertidas
    WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal;
    INSERT INTO analitica_conversion_mes (mes, canal, conversaciones, convertidas)
    VALUES (substr(NEW.dia, 1, 7), NEW.canal, NEW.conversaciones, NEW.convertidas)
    ON CONFLICT (mes, canal) DO UPDATE SET conversaciones = conversaciones + excluded.conversaciones, convertidas = convertidas + excluded.convertidas;
    DELETE FROM analitica_conversion_mes WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal AND conversaciones = 0;
    DELETE FROM analitica_conversion_mes WHERE mes = substr(NEW.dia, 1, 7) AND canal = NEW.canal AND conversaciones = 0;
END;

CREATE TRIGGER analitica_conversion_dia_mes_ad AFTER DELETE ON analitica_conversion_dia BEGIN
    UPDATE analitica_conversion_mes SET conversaciones = conversaciones - OLD.conversaciones, convertidas = convertidas - OLD.convertidas
    WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal;
    DELETE FROM analitica_conversion_mes WHERE mes = substr(OLD.dia, 1, 7) AND canal = OLD.canal AND conversaciones = 0;
END;

CREATE TRIGGER analitica_satisfaccion_dia_mes_ai AFTER INSERT ON analitica_satisfaccion_dia BEGIN
    INSERT INTO analitica_satisfaccion_mes (mes, csat_suma, csat_respuestas, promotores, pasivos, detractores)
    VALUES (substr(NEW.dia, 1, 7), NEW.csat_suma, NEW.csat_respuestas, NEW.promotores, NEW.pasivos, NEW.detractores)
    ON CONFLICT (mes) DO UPDATE SET csat_suma = csat_suma + excluded.csat_suma, csat_respuestas = csat_respuestas + excluded.csat_respuestas, promotores = promotores + excluded.promotores, pasivos = pasivos + excluded.pasivos, detractores = detractores + excluded.detractores;
END;

CREATE TRIGGER analitica_satisfaccion_dia_mes_au AFTER UPDATE ON analitica_satisfaccion_dia WHEN OLD.dia IS NEW.dia BEGIN
    INSERT INTO analitica_satisfaccion_mes (mes, csat_suma, csat_respuestas, promotores, pasivos, detractores)
    VALUES (substr(NEW.dia, 1, 7), NEW.csat_suma - OLD.csat_suma, NEW.csat_respuestas - OLD.csat_respuestas, NEW.promotores - OLD.promotores, NEW.pasivos - OLD.pasivos, NEW.detractores - OLD.detractores)
    ON CONFLICT (mes) DO UPDATE SET csat_suma = csat_suma + excluded.csat_suma, csat_respuestas = csat_respuestas + excluded.csat_respuestas, promotores = promotores + excluded.promotores, pasivos = pasivos + excluded.pasivos, detractores = detractores + excluded.detractores;
END;

CREATE TRIGGER analitica_satisfaccion_dia_mes_am AFTER UPDATE ON analitica_satisfaccion_dia WHEN NOT (OLD.dia IS NEW.dia) BEGIN
    UPDATE analitica_satisfaccion_mes SET csat_suma = csat_suma - OLD.csat_suma, csat_respuestas = csat_respuestas - OLD.csat_respuestas, promotores = promotores - OLD.promotores, pasivos = pasivos - OLD.pasivos, detractores = detractores - OLD.detractores
    WHERE mes = substr(OLD.dia, 1, 7);
    INSERT INTO analitica_satisfaccion_mes (mes, csat_suma, csat_respuestas, promotores, pasivos, detractores)
    VALUES (substr(NEW.dia, 1, 7), NEW.csat_suma, NEW.csat_respuestas, NEW.promotores, NEW.pasivos, NEW.detractores)
    ON CONFLICT (mes) DO UPDATE SET csat_suma = csat_suma + excluded.csat_suma, csat_respuestas = csat_respuestas + excluded.csat_respuestas, promotores = promotores + excluded.promotores, pasivos = pasivos + excluded.pasivos, detractores = detractores + excluded.detractores;
    DELETE FROM analitica_satisfaccion_mes WHERE mes = substr(OLD.dia, 1, 7) AND csat_respuestas = 0 AND promotores = 0 AND pasivos = 0 AND detractores = 0;
    DELETE FROM analitica_satisfaccion_mes WHERE mes = substr(NEW.dia, 1, 7) AND csat_respuestas = 0 AND promotores = 0 AND pasivos = 0 AND detractores = 0;
END;

CREATE TRIGGER analitica_satisfaccion_dia_mes_ad AFTER DELETE ON analitica_satisfaccion_dia BEGIN
    UPDATE analitica_satisfaccion_mes SET csat_suma = csat_suma - OLD.csat_suma, csat_respuestas = csat_respuestas - OLD.csat_respuestas, promotores = promotores - OLD.promotores, pasivos = pasivos - OLD.pasivos, detractores = detractores - OLD.detractores
    WHERE mes = substr(OLD.dia, 1, 7);
    DELETE FROM analitica_satisfaccion_mes WHERE mes = substr(OLD.dia, 1, 7) AND csat_respuestas = 0 AND promotores = 0 AND pasivos = 0 AND detractores = 0;
END;

CREATE TRIGGER analitica_impacto_dia_mes_ai AFTER INSERT ON analitica_impacto_dia BEGIN
    INSERT INTO analitica_impacto_mes (mes, producto_id, unidades)
    VALUES (substr(NEW.dia, 1, 7), NEW.producto_id, NEW.unidades)
    ON CONFLICT (mes, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
END;

CREATE TRIGGER analitica_impacto_dia_mes_au AFTER UPDATE ON analitica_impacto_dia WHEN OLD.dia IS NEW.dia AND OLD.producto_id IS NEW.producto_id BEGIN
    INSERT INTO analitica_impacto_mes (mes, producto_id, unidades)
    VALUES (substr(NEW.dia, 1, 7), NEW.producto_id, NEW.unidades - OLD.unidades)
    ON CONFLICT (mes, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
END;

CREATE TRIGGER analitica_impacto_dia_mes_am AFTER UPDATE ON analitica_impacto_dia WHEN NOT (OLD.dia IS NEW.dia AND OLD.producto_id IS NEW.producto_id) BEGIN
    UPDATE analitica_impacto_mes SET unidades = unidades - OLD.unidades
    WHERE mes = substr(OLD.dia, 1, 7) AND producto_id = OLD.producto_id;
    INSERT INTO analitica_impacto_mes (mes, producto_id, unidades)
    VALUES (substr(NEW.dia, 1, 7), NEW.producto_id, NEW.unidades)
    ON CONFLICT (mes, producto_id) DO UPDATE SET unidades = unidades + excluded.unidades;
    DELETE FROM analitica_impacto_mes WHERE mes = substr(OLD.dia, 1, 7) AND producto_id = OLD.producto_id AND unidades = 0;
    DELETE FROM analitica_impacto_mes WHERE mes = substr(NEW.dia, 1, 7) AND producto_id = NEW.producto_id AND unidades = 0;
END;

CREATE TRIGGER analitica_impacto_dia_mes_ad AFTER DELETE ON analitica_impacto_dia BEGIN
    UPDATE analitica_impacto_mes SET unidades = unidades - OLD.unidades
    WHERE mes = substr(OLD.dia, 1, 7) AND producto_id = OLD.producto_id;
    DELETE FROM analitica_impacto_mes WHERE mes = substr(OLD.dia, 1, 7) AND producto_id = OLD.producto_id AND unidades = 0;
END;

CREATE TRIGGER analitica_entregados_dia_mes_ai AFTER INSERT ON analitica_entregados_dia BEGIN
    INSERT INTO analitica_entregados_mes (mes, pedidos)
    VALUES (substr(NEW.dia, 1, 7), NEW.pedidos)
    ON CONFLICT (mes) DO UPDATE SET pedidos = pedidos + excluded.pedidos;
END;

CREATE TRIGGER analitica_entregados_dia_mes_au AFTER UPDATE ON analitica_entregados_dia WHEN OLD.dia IS NEW.dia BEGIN
    INSERT INTO analitica_entregados_mes (mes, pedidos)
    VALUES (substr(NEW.dia, 1, 7), NEW.pedidos - OLD.pedidos)
    ON CONFLICT (mes) DO UPDATE SET pedidos = pedidos + excluded.pedidos;
END;

CREATE TRIGGER analitica_entregados_dia_mes_am AFTER UPDATE ON analitica_entregados_dia WHEN NOT (OLD.dia IS NEW.dia) BEGIN
    UPDATE analitica_entregados_mes SET pedidos = pedidos - OLD.pedidos
    WHERE mes = substr(OLD.dia, 1, 7);
    INSERT INTO analitica_entregados_mes (mes, pedidos)
    VALUES (substr(NEW.dia, 1, 7), NEW.pedidos)
    ON CONFLICT (mes) DO UPDATE SET pedidos = pedidos + excluded.pedidos;
    DELETE FROM analitica_entregados_mes WHERE mes = substr(OLD.dia, 1, 7) AND pedidos = 0;
    DELETE FROM analitica_entregados_mes WHERE mes = substr(NEW.dia, 1, 7) AND pedidos = 0;
END;

CREATE TRIGGER analitica_entregados_dia_mes_ad AFTER DELETE ON analitica_entregados_dia BEGIN
    UPDATE analitica_entregados_mes SET pedidos = pedidos - OLD.pedidos
    WHERE mes = substr(OLD.dia, 1, 7);
    DELETE FROM analitica_entregados_mes WHERE mes = substr(OLD.dia, 1, 7) AND pedidos = 0;
END;
