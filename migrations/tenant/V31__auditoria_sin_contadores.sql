-- The audit trail stops recording the inbox's bookkeeping: a conversation's unread count,
-- last message time and summary, and a WhatsApp contact's 24-hour window. They move with every
-- message, and every message is already an audited `interacciones` insert, so each message
-- wrote the same fact to the trail two or three times (≈ 3 of the 11 audit rows an inbound
-- WhatsApp message wrote). These columns follow the rule the trail already keeps for histories
-- of audited changes (segmento_cambios, consentimientos, movimientos_stock) and for the
-- outbox's lease renewals: derived, so not audited again.
--
-- What staff decide stays audited: a conversation's state, its hand-off flag and reason, its
-- assignee; a contact's ids and profile names. Inserts and deletes are unchanged (every column,
-- personal ones masked). When an update is recorded for a column that is still audited, its
-- record lists only the audited columns that changed.

DROP TRIGGER conversaciones_audit_u;
CREATE TRIGGER conversaciones_audit_u AFTER UPDATE ON conversaciones
WHEN old.cliente_id IS NOT new.cliente_id OR old.estado IS NOT new.estado OR old.necesita_humano IS NOT new.necesita_humano OR old.motivo_humano IS NOT new.motivo_humano OR old.asignado_a IS NOT new.asignado_a
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('conversaciones', new.cliente_id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'cliente_id' AS k, json_array(old.cliente_id, new.cliente_id) AS v WHERE old.cliente_id IS NOT new.cliente_id
            UNION ALL SELECT 'estado' AS k, json_array(old.estado, new.estado) AS v WHERE old.estado IS NOT new.estado
            UNION ALL SELECT 'necesita_humano' AS k, json_array(old.necesita_humano, new.necesita_humano) AS v WHERE old.necesita_humano IS NOT new.necesita_humano
            UNION ALL SELECT 'motivo_humano' AS k, json_array(CASE WHEN old.motivo_humano IS NULL THEN NULL ELSE '***' END, CASE WHEN new.motivo_humano IS NULL THEN NULL ELSE '***' END) AS v WHERE old.motivo_humano IS NOT new.motivo_humano
            UNION ALL SELECT 'asignado_a' AS k, json_array(old.asignado_a, new.asignado_a) AS v WHERE old.asignado_a IS NOT new.asignado_a)));
END;

DROP TRIGGER wa_contactos_audit_u;
CREATE TRIGGER wa_contactos_audit_u AFTER UPDATE ON wa_contactos
WHEN old.cliente_id IS NOT new.cliente_id OR old.bsuid IS NOT new.bsuid OR old.wa_id IS NOT new.wa_id OR old.nombre_perfil IS NOT new.nombre_perfil OR old.username IS NOT new.username
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_contactos', new.cliente_id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'cliente_id' AS k, json_array(old.cliente_id, new.cliente_id) AS v WHERE old.cliente_id IS NOT new.cliente_id
            UNION ALL SELECT 'bsuid' AS k, json_array(CASE WHEN old.bsuid IS NULL THEN NULL ELSE '***' END, CASE WHEN new.bsuid IS NULL THEN NULL ELSE '***' END) AS v WHERE old.bsuid IS NOT new.bsuid
            UNION ALL SELECT 'wa_id' AS k, json_array(CASE WHEN old.wa_id IS NULL THEN NULL ELSE '***' END, CASE WHEN new.wa_id IS NULL THEN NULL ELSE '***' END) AS v WHERE old.wa_id IS NOT new.wa_id
            UNION ALL SELECT 'nombre_perfil' AS k, json_array(CASE WHEN old.nombre_perfil IS NULL THEN NULL ELSE '***' END, CASE WHEN new.nombre_perfil IS NULL THEN NULL ELSE '***' END) AS v WHERE old.nombre_perfil IS NOT new.nombre_perfil
            UNION ALL SELECT 'username' AS k, json_array(CASE WHEN old.username IS NULL THEN NULL ELSE '***' END, CASE WHEN new.username IS NULL THEN NULL ELSE '***' END) AS v WHERE old.username IS NOT new.username)));
END;
