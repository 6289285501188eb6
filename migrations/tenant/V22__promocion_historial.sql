-- Purchase-history condition of a promotion rule ("pidió combo familiar 3 veces o más"): the
-- rule applies only to customers who bought `sku` in at least `veces` earlier orders that were
-- not cancelled. A side table (not columns on promociones) so the mirrored promociones keeps
-- its shape; see NOT_MIRRORED in src/mirror/tables.rs.
CREATE TABLE promocion_historial (
    promocion_id INTEGER PRIMARY KEY REFERENCES promociones(id) ON DELETE CASCADE,
    sku          TEXT NOT NULL,
    veces        INTEGER NOT NULL CHECK (veces BETWEEN 1 AND 100000)
) STRICT;

CREATE TRIGGER promocion_historial_ci AFTER INSERT ON promocion_historial BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('promocion_historial', new.promocion_id, 'insert'); END;
CREATE TRIGGER promocion_historial_cu AFTER UPDATE ON promocion_historial BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('promocion_historial', new.promocion_id, 'update'); END;
CREATE TRIGGER promocion_historial_cd AFTER DELETE ON promocion_historial BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('promocion_historial', old.promocion_id, 'delete'); END;

CREATE TRIGGER promocion_historial_audit_i AFTER INSERT ON promocion_historial BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('promocion_historial', new.promocion_id, 'insert', json_object('promocion_id', new.promocion_id, 'sku', new.sku, 'veces', new.veces));
END;

CREATE TRIGGER promocion_historial_audit_d AFTER DELETE ON promocion_historial BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('promocion_historial', old.promocion_id, 'delete', json_object('promocion_id', old.promocion_id, 'sku', old.sku, 'veces', old.veces));
END;

CREATE TRIGGER promocion_historial_audit_u AFTER UPDATE ON promocion_historial
WHEN old.promocion_id IS NOT new.promocion_id OR old.sku IS NOT new.sku OR old.veces IS NOT new.veces
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('promocion_historial', new.promocion_id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'promocion_id' AS k, json_array(old.promocion_id, new.promocion_id) AS v WHERE old.promocion_id IS NOT new.promocion_id
            UNION ALL SELECT 'sku' AS k, json_array(old.sku, new.sku) AS v WHERE old.sku IS NOT new.sku
            UNION ALL SELECT 'veces' AS k, json_array(old.veces, new.veces) AS v WHERE old.veces IS NOT new.veces)));
END;
