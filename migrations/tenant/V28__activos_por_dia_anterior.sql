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

-- The table follows each customer-day row: in, out, and its previous day moved (V25's
-- triggers set `anterior` by an UPDATE right after the insert). Counts move by upserts in
-- both directions and zero rows go, so the result does not depend on the order in which
-- SQLite fires these and V25's triggers.

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
