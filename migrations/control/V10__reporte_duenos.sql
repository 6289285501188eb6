-- Owner-level report recipients: who gets the combined report of every brand of the
-- installation (`autonomo report recipients --all`, `report send --all`, jobs
-- reporte_duenos_diario / reporte_duenos_semanal). Per-brand recipients stay in each brand's
-- own `reporte_destinatarios`; this list is the installation's, so it lives here.
CREATE TABLE reporte_destinatarios_duenos (
    canal               TEXT NOT NULL CHECK (canal IN ('email', 'telegram')),
    destino             TEXT NOT NULL,
    creado_en           INTEGER NOT NULL,
    PRIMARY KEY (canal, destino)
) STRICT, WITHOUT ROWID;

-- Audited like the other installation tables (V9): who may read every brand's figures.
CREATE TRIGGER reporte_destinatarios_duenos_audit_i AFTER INSERT ON reporte_destinatarios_duenos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('reporte_destinatarios_duenos', NULL, 'insert', json_object('canal', new.canal, 'destino', new.destino, 'creado_en', new.creado_en));
END;

CREATE TRIGGER reporte_destinatarios_duenos_audit_d AFTER DELETE ON reporte_destinatarios_duenos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('reporte_destinatarios_duenos', NULL, 'delete', json_object('canal', old.canal, 'destino', old.destino, 'creado_en', old.creado_en));
END;
