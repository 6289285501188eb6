-- Analytics, continued: the monthly cohort rollup (follows V9__analytics.sql). Number
-- proposed by the analytics branch after V9 landed; the lead may renumber it.

-- Months in which each customer ordered, and the cohort table built from them:
-- customers of each first-order month (`cohorte`) active in each month (`mes`), kept by
-- triggers so the retention matrix is read, not computed.
CREATE TABLE analitica_cliente_mes (
    cliente_id  INTEGER NOT NULL,
    mes         TEXT NOT NULL,          -- YYYY-MM
    PRIMARY KEY (cliente_id, mes)
) STRICT, WITHOUT ROWID;

CREATE TABLE analitica_cohorte (
    cohorte     TEXT NOT NULL,
    mes         TEXT NOT NULL,
    clientes    INTEGER NOT NULL,
    PRIMARY KEY (cohorte, mes)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER analitica_cliente_dia_mes_ai AFTER INSERT ON analitica_cliente_dia BEGIN
    INSERT OR IGNORE INTO analitica_cliente_mes (cliente_id, mes) VALUES (NEW.cliente_id, substr(NEW.dia, 1, 7));
END;

CREATE TRIGGER analitica_cliente_dia_mes_ad AFTER DELETE ON analitica_cliente_dia BEGIN
    DELETE FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id AND mes = substr(OLD.dia, 1, 7)
      AND NOT EXISTS (SELECT 1 FROM analitica_cliente_dia WHERE cliente_id = OLD.cliente_id
                      AND dia BETWEEN substr(OLD.dia, 1, 7) || '-01' AND substr(OLD.dia, 1, 7) || '-31');
END;

-- A new first month: the customer's other months leave their old cohort and, with the new
-- month, join the new one.
CREATE TRIGGER analitica_cliente_mes_ai_primero AFTER INSERT ON analitica_cliente_mes
WHEN NOT EXISTS (SELECT 1 FROM analitica_cliente_mes WHERE cliente_id = NEW.cliente_id AND mes < NEW.mes)
BEGIN
    UPDATE analitica_cohorte SET clientes = clientes - 1
    WHERE cohorte = (SELECT MIN(mes) FROM analitica_cliente_mes WHERE cliente_id = NEW.cliente_id AND mes > NEW.mes)
      AND mes IN (SELECT mes FROM analitica_cliente_mes WHERE cliente_id = NEW.cliente_id AND mes > NEW.mes);
    INSERT INTO analitica_cohorte (cohorte, mes, clientes)
    SELECT NEW.mes, mes, 1 FROM analitica_cliente_mes WHERE cliente_id = NEW.cliente_id
    ON CONFLICT (cohorte, mes) DO UPDATE SET clientes = clientes + 1;
    DELETE FROM analitica_cohorte WHERE clientes = 0 AND cohorte > NEW.mes;
END;

CREATE TRIGGER analitica_cliente_mes_ai_despues AFTER INSERT ON analitica_cliente_mes
WHEN EXISTS (SELECT 1 FROM analitica_cliente_mes WHERE cliente_id = NEW.cliente_id AND mes < NEW.mes)
BEGIN
    INSERT INTO analitica_cohorte (cohorte, mes, clientes)
    VALUES ((SELECT MIN(mes) FROM analitica_cliente_mes WHERE cliente_id = NEW.cliente_id), NEW.mes, 1)
    ON CONFLICT (cohorte, mes) DO UPDATE SET clientes = clientes + 1;
END;

-- The first month goes: the remaining months move to the cohort of the next first month.
CREATE TRIGGER analitica_cliente_mes_ad_primero AFTER DELETE ON analitica_cliente_mes
WHEN NOT EXISTS (SELECT 1 FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id AND mes < OLD.mes)
BEGIN
    UPDATE analitica_cohorte SET clientes = clientes - 1
    WHERE cohorte = OLD.mes
      AND (mes = OLD.mes OR mes IN (SELECT mes FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id));
    DELETE FROM analitica_cohorte WHERE cohorte = OLD.mes AND clientes = 0;
    INSERT INTO analitica_cohorte (cohorte, mes, clientes)
    SELECT (SELECT MIN(mes) FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id), mes, 1
    FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id
    ON CONFLICT (cohorte, mes) DO UPDATE SET clientes = clientes + 1;
END;

CREATE TRIGGER analitica_cliente_mes_ad_despues AFTER DELETE ON analitica_cliente_mes
WHEN EXISTS (SELECT 1 FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id AND mes < OLD.mes)
BEGIN
    UPDATE analitica_cohorte SET clientes = clientes - 1
    WHERE cohorte = (SELECT MIN(mes) FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id) AND mes = OLD.mes;
    DELETE FROM analitica_cohorte WHERE clientes = 0
      AND cohorte = (SELECT MIN(mes) FROM analitica_cliente_mes WHERE cliente_id = OLD.cliente_id) AND mes = OLD.mes;
END;
