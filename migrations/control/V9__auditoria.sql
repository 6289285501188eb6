-- The audit trail of the installation (control database): brands, API tokens, staff accounts
-- and their brands, logins (sessions created and ended) and WhatsApp numbers. GDPR erasures are
-- in the brand's own trail (`olvidar`); the erasure log itself may be written by restore tools
-- without the application's functions. Same design as the brands' trail (tenant V7): written by triggers in the same transaction
-- as the change, append-only, hash-chained, personal values and secrets masked; checked by
-- `autonomo audit verify`. Left out: scheduler bookkeeping (jobs, job_runs), session idle
-- refreshes, and the log of unknown WhatsApp numbers.

CREATE TABLE auditoria (
    id          INTEGER PRIMARY KEY,
    en          INTEGER NOT NULL,            -- unix ms UTC
    actor       TEXT NOT NULL,               -- user:3, token:12, system:<job>
    marca       TEXT NOT NULL,
    tabla       TEXT NOT NULL,               -- table, or the resource of a denied attempt
    fila_id     INTEGER,
    accion      TEXT NOT NULL,               -- insert | update | delete | denegado | <event>
    cambios     TEXT NOT NULL,               -- JSON: insert/delete the row, update {campo: [antes, después]}
    hash_prev   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX auditoria_tabla ON auditoria (tabla, fila_id);
CREATE INDEX auditoria_actor ON auditoria (actor, id);
CREATE INDEX auditoria_en ON auditoria (en);

CREATE TRIGGER auditoria_sin_update BEFORE UPDATE ON auditoria BEGIN
    SELECT RAISE(ABORT, 'auditoria: solo se puede añadir / append-only');
END;
CREATE TRIGGER auditoria_sin_delete BEFORE DELETE ON auditoria BEGIN
    SELECT RAISE(ABORT, 'auditoria: solo se puede añadir / append-only');
END;

-- The one way in: inserting here fills time, actor, brand and the chain.
CREATE VIEW auditoria_nueva (tabla, fila_id, accion, cambios) AS
    SELECT tabla, fila_id, accion, cambios FROM auditoria WHERE 0;
CREATE TRIGGER auditoria_nueva_ii INSTEAD OF INSERT ON auditoria_nueva BEGIN
    INSERT INTO auditoria (en, actor, marca, tabla, fila_id, accion, cambios, hash_prev, hash)
    SELECT t.en, t.actor, t.marca, NEW.tabla, NEW.fila_id, NEW.accion, coalesce(NEW.cambios, '{}'), p.h,
           audit_hash(p.h, t.en, t.actor, t.marca, NEW.tabla, NEW.fila_id, NEW.accion, coalesce(NEW.cambios, '{}'))
    FROM (SELECT coalesce((SELECT hash FROM auditoria ORDER BY id DESC LIMIT 1), '') AS h) AS p,
         (SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER) AS en, audit_actor() AS actor,
                 audit_brand() AS marca) AS t;
END;


CREATE TRIGGER marcas_audit_i AFTER INSERT ON marcas BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('marcas', NULL, 'insert', json_object('slug', new.slug, 'nombre', new.nombre, 'moneda', new.moneda, 'zona_horaria', new.zona_horaria, 'pais', new.pais, 'idioma', new.idioma, 'configuracion', new.configuracion, 'archivada_en', new.archivada_en, 'creado_en', new.creado_en, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER marcas_audit_d AFTER DELETE ON marcas BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('marcas', NULL, 'delete', json_object('slug', old.slug, 'nombre', old.nombre, 'moneda', old.moneda, 'zona_horaria', old.zona_horaria, 'pais', old.pais, 'idioma', old.idioma, 'configuracion', old.configuracion, 'archivada_en', old.archivada_en, 'creado_en', old.creado_en, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER marcas_audit_u AFTER UPDATE ON marcas
WHEN old.slug IS NOT new.slug OR old.nombre IS NOT new.nombre OR old.moneda IS NOT new.moneda OR old.zona_horaria IS NOT new.zona_horaria OR old.pais IS NOT new.pais OR old.idioma IS NOT new.idioma OR old.configuracion IS NOT new.configuracion OR old.archivada_en IS NOT new.archivada_en OR old.creado_en IS NOT new.creado_en OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('marcas', NULL, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'slug' AS k, json_array(old.slug, new.slug) AS v WHERE old.slug IS NOT new.slug
            UNION ALL SELECT 'nombre' AS k, json_array(old.nombre, new.nombre) AS v WHERE old.nombre IS NOT new.nombre
            UNION ALL SELECT 'moneda' AS k, json_array(old.moneda, new.moneda) AS v WHERE old.moneda IS NOT new.moneda
            UNION ALL SELECT 'zona_horaria' AS k, json_array(old.zona_horaria, new.zona_horaria) AS v WHERE old.zona_horaria IS NOT new.zona_horaria
            UNION ALL SELECT 'pais' AS k, json_array(old.pais, new.pais) AS v WHERE old.pais IS NOT new.pais
            UNION ALL SELECT 'idioma' AS k, json_array(old.idioma, new.idioma) AS v WHERE old.idioma IS NOT new.idioma
            UNION ALL SELECT 'configuracion' AS k, json_array(old.configuracion, new.configuracion) AS v WHERE old.configuracion IS NOT new.configuracion
            UNION ALL SELECT 'archivada_en' AS k, json_array(old.archivada_en, new.archivada_en) AS v WHERE old.archivada_en IS NOT new.archivada_en
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;

CREATE TRIGGER api_tokens_audit_i AFTER INSERT ON api_tokens BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('api_tokens', new.id, 'insert', json_object('id', new.id, 'hash', CASE WHEN new.hash IS NULL THEN NULL ELSE '***' END, 'marca', new.marca, 'alcance', new.alcance, 'etiqueta', new.etiqueta, 'creado_en', new.creado_en, 'revocado_en', new.revocado_en));
END;

CREATE TRIGGER api_tokens_audit_d AFTER DELETE ON api_tokens BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('api_tokens', old.id, 'delete', json_object('id', old.id, 'hash', CASE WHEN old.hash IS NULL THEN NULL ELSE '***' END, 'marca', old.marca, 'alcance', old.alcance, 'etiqueta', old.etiqueta, 'creado_en', old.creado_en, 'revocado_en', old.revocado_en));
END;

CREATE TRIGGER api_tokens_audit_u AFTER UPDATE ON api_tokens
WHEN old.id IS NOT new.id OR old.hash IS NOT new.hash OR old.marca IS NOT new.marca OR old.alcance IS NOT new.alcance OR old.etiqueta IS NOT new.etiqueta OR old.creado_en IS NOT new.creado_en OR old.revocado_en IS NOT new.revocado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('api_tokens', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'hash' AS k, json_array(CASE WHEN old.hash IS NULL THEN NULL ELSE '***' END, CASE WHEN new.hash IS NULL THEN NULL ELSE '***' END) AS v WHERE old.hash IS NOT new.hash
            UNION ALL SELECT 'marca' AS k, json_array(old.marca, new.marca) AS v WHERE old.marca IS NOT new.marca
            UNION ALL SELECT 'alcance' AS k, json_array(old.alcance, new.alcance) AS v WHERE old.alcance IS NOT new.alcance
            UNION ALL SELECT 'etiqueta' AS k, json_array(old.etiqueta, new.etiqueta) AS v WHERE old.etiqueta IS NOT new.etiqueta
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'revocado_en' AS k, json_array(old.revocado_en, new.revocado_en) AS v WHERE old.revocado_en IS NOT new.revocado_en)));
END;

CREATE TRIGGER usuarios_audit_i AFTER INSERT ON usuarios BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('usuarios', new.id, 'insert', json_object('id', new.id, 'email', new.email, 'nombre', new.nombre, 'hash_clave', CASE WHEN new.hash_clave IS NULL THEN NULL ELSE '***' END, 'rol', new.rol, 'idioma', new.idioma, 'activo', new.activo, 'creado_en', new.creado_en, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER usuarios_audit_d AFTER DELETE ON usuarios BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('usuarios', old.id, 'delete', json_object('id', old.id, 'email', old.email, 'nombre', old.nombre, 'hash_clave', CASE WHEN old.hash_clave IS NULL THEN NULL ELSE '***' END, 'rol', old.rol, 'idioma', old.idioma, 'activo', old.activo, 'creado_en', old.creado_en, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER usuarios_audit_u AFTER UPDATE ON usuarios
WHEN old.id IS NOT new.id OR old.email IS NOT new.email OR old.nombre IS NOT new.nombre OR old.hash_clave IS NOT new.hash_clave OR old.rol IS NOT new.rol OR old.idioma IS NOT new.idioma OR old.activo IS NOT new.activo OR old.creado_en IS NOT new.creado_en OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('usuarios', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'email' AS k, json_array(old.email, new.email) AS v WHERE old.email IS NOT new.email
            UNION ALL SELECT 'nombre' AS k, json_array(old.nombre, new.nombre) AS v WHERE old.nombre IS NOT new.nombre
            UNION ALL SELECT 'hash_clave' AS k, json_array(CASE WHEN old.hash_clave IS NULL THEN NULL ELSE '***' END, CASE WHEN new.hash_clave IS NULL THEN NULL ELSE '***' END) AS v WHERE old.hash_clave IS NOT new.hash_clave
            UNION ALL SELECT 'rol' AS k, json_array(old.rol, new.rol) AS v WHERE old.rol IS NOT new.rol
            UNION ALL SELECT 'idioma' AS k, json_array(old.idioma, new.idioma) AS v WHERE old.idioma IS NOT new.idioma
            UNION ALL SELECT 'activo' AS k, json_array(old.activo, new.activo) AS v WHERE old.activo IS NOT new.activo
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;

CREATE TRIGGER usuario_marcas_audit_i AFTER INSERT ON usuario_marcas BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('usuario_marcas', NULL, 'insert', json_object('usuario_id', new.usuario_id, 'marca', new.marca));
END;

CREATE TRIGGER usuario_marcas_audit_d AFTER DELETE ON usuario_marcas BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('usuario_marcas', NULL, 'delete', json_object('usuario_id', old.usuario_id, 'marca', old.marca));
END;

CREATE TRIGGER usuario_marcas_audit_u AFTER UPDATE ON usuario_marcas
WHEN old.usuario_id IS NOT new.usuario_id OR old.marca IS NOT new.marca
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('usuario_marcas', NULL, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'usuario_id' AS k, json_array(old.usuario_id, new.usuario_id) AS v WHERE old.usuario_id IS NOT new.usuario_id
            UNION ALL SELECT 'marca' AS k, json_array(old.marca, new.marca) AS v WHERE old.marca IS NOT new.marca)));
END;

CREATE TRIGGER sesiones_audit_i AFTER INSERT ON sesiones BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('sesiones', NULL, 'insert', json_object('hash', CASE WHEN new.hash IS NULL THEN NULL ELSE '***' END, 'usuario_id', new.usuario_id, 'csrf', CASE WHEN new.csrf IS NULL THEN NULL ELSE '***' END, 'creado_en', new.creado_en, 'expira_en', new.expira_en));
END;

CREATE TRIGGER sesiones_audit_d AFTER DELETE ON sesiones BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('sesiones', NULL, 'delete', json_object('hash', CASE WHEN old.hash IS NULL THEN NULL ELSE '***' END, 'usuario_id', old.usuario_id, 'csrf', CASE WHEN old.csrf IS NULL THEN NULL ELSE '***' END, 'creado_en', old.creado_en, 'expira_en', old.expira_en));
END;

CREATE TRIGGER whatsapp_numeros_audit_i AFTER INSERT ON whatsapp_numeros BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('whatsapp_numeros', NULL, 'insert', json_object('phone_number_id', new.phone_number_id, 'marca', new.marca, 'waba_id', new.waba_id, 'verify_token', CASE WHEN new.verify_token IS NULL THEN NULL ELSE '***' END, 'verify_token_indice', CASE WHEN new.verify_token_indice IS NULL THEN NULL ELSE '***' END, 'app_secret', CASE WHEN new.app_secret IS NULL THEN NULL ELSE '***' END, 'access_token', CASE WHEN new.access_token IS NULL THEN NULL ELSE '***' END, 'mps', new.mps, 'creado_en', new.creado_en, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER whatsapp_numeros_audit_d AFTER DELETE ON whatsapp_numeros BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('whatsapp_numeros', NULL, 'delete', json_object('phone_number_id', old.phone_number_id, 'marca', old.marca, 'waba_id', old.waba_id, 'verify_token', CASE WHEN old.verify_token IS NULL THEN NULL ELSE '***' END, 'verify_token_indice', CASE WHEN old.verify_token_indice IS NULL THEN NULL ELSE '***' END, 'app_secret', CASE WHEN old.app_secret IS NULL THEN NULL ELSE '***' END, 'access_token', CASE WHEN old.access_token IS NULL THEN NULL ELSE '***' END, 'mps', old.mps, 'creado_en', old.creado_en, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER whatsapp_numeros_audit_u AFTER UPDATE ON whatsapp_numeros
WHEN old.phone_number_id IS NOT new.phone_number_id OR old.marca IS NOT new.marca OR old.waba_id IS NOT new.waba_id OR old.verify_token IS NOT new.verify_token OR old.verify_token_indice IS NOT new.verify_token_indice OR old.app_secret IS NOT new.app_secret OR old.access_token IS NOT new.access_token OR old.mps IS NOT new.mps OR old.creado_en IS NOT new.creado_en OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('whatsapp_numeros', NULL, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'phone_number_id' AS k, json_array(old.phone_number_id, new.phone_number_id) AS v WHERE old.phone_number_id IS NOT new.phone_number_id
            UNION ALL SELECT 'marca' AS k, json_array(old.marca, new.marca) AS v WHERE old.marca IS NOT new.marca
            UNION ALL SELECT 'waba_id' AS k, json_array(old.waba_id, new.waba_id) AS v WHERE old.waba_id IS NOT new.waba_id
            UNION ALL SELECT 'verify_token' AS k, json_array(CASE WHEN old.verify_token IS NULL THEN NULL ELSE '***' END, CASE WHEN new.verify_token IS NULL THEN NULL ELSE '***' END) AS v WHERE old.verify_token IS NOT new.verify_token
            UNION ALL SELECT 'verify_token_indice' AS k, json_array(CASE WHEN old.verify_token_indice IS NULL THEN NULL ELSE '***' END, CASE WHEN new.verify_token_indice IS NULL THEN NULL ELSE '***' END) AS v WHERE old.verify_token_indice IS NOT new.verify_token_indice
            UNION ALL SELECT 'app_secret' AS k, json_array(CASE WHEN old.app_secret IS NULL THEN NULL ELSE '***' END, CASE WHEN new.app_secret IS NULL THEN NULL ELSE '***' END) AS v WHERE old.app_secret IS NOT new.app_secret
            UNION ALL SELECT 'access_token' AS k, json_array(CASE WHEN old.access_token IS NULL THEN NULL ELSE '***' END, CASE WHEN new.access_token IS NULL THEN NULL ELSE '***' END) AS v WHERE old.access_token IS NOT new.access_token
            UNION ALL SELECT 'mps' AS k, json_array(old.mps, new.mps) AS v WHERE old.mps IS NOT new.mps
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;
