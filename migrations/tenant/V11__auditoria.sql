-- Numbered 11 (written as V7 on a parallel branch): refinery refuses a migration numbered
-- below one an existing database already has.
-- The audit trail of one brand: every change of a business table, written by triggers in the
-- same transaction as the change (so a change whose audit row fails does not happen), and
-- every denied attempt, written by the application. Append-only (the triggers below refuse
-- UPDATE and DELETE) and hash-chained: `hash` = SHA-256 over the previous row's hash and this
-- row's fields (see src/audit/chain.rs), so `autonomo audit verify` detects an edited,
-- deleted or reordered row. Personal fields are masked ('***') in `cambios`: the trail
-- proves that a value changed, never what it was, so a GDPR erasure need not touch it.
--
-- The triggers call three functions that every connection of the application registers
-- (src/db/functions.rs): audit_actor() (who runs the current write), audit_brand() and
-- audit_hash(). Left out on purpose: raw webhook bodies (wa_eventos, itself an append-only
-- input log), delivery bookkeeping (wa_entrantes, wa_estados, wa_salientes), the bot's
-- conversational memory (wa_bot) and the change feed; outbox rows are audited when created,
-- deleted or when their state changes, not on every lease renewal.

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


CREATE TRIGGER clientes_audit_i AFTER INSERT ON clientes BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('clientes', new.id, 'insert', json_object('id', new.id, 'nombre', CASE WHEN new.nombre IS NULL THEN NULL ELSE '***' END, 'telefono', CASE WHEN new.telefono IS NULL THEN NULL ELSE '***' END, 'email', CASE WHEN new.email IS NULL THEN NULL ELSE '***' END, 'direccion', CASE WHEN new.direccion IS NULL THEN NULL ELSE '***' END, 'notas', CASE WHEN new.notas IS NULL THEN NULL ELSE '***' END, 'etiquetas', CASE WHEN new.etiquetas IS NULL THEN NULL ELSE '***' END, 'consentimiento_marketing', new.consentimiento_marketing, 'canal_adquisicion', new.canal_adquisicion, 'segmento', new.segmento, 'wa_id', CASE WHEN new.wa_id IS NULL THEN NULL ELSE '***' END, 'pedidos_count', new.pedidos_count, 'total_gastado', new.total_gastado, 'primer_pedido_en', new.primer_pedido_en, 'ultimo_pedido_en', new.ultimo_pedido_en, 'creado_en', new.creado_en, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER clientes_audit_d AFTER DELETE ON clientes BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('clientes', old.id, 'delete', json_object('id', old.id, 'nombre', CASE WHEN old.nombre IS NULL THEN NULL ELSE '***' END, 'telefono', CASE WHEN old.telefono IS NULL THEN NULL ELSE '***' END, 'email', CASE WHEN old.email IS NULL THEN NULL ELSE '***' END, 'direccion', CASE WHEN old.direccion IS NULL THEN NULL ELSE '***' END, 'notas', CASE WHEN old.notas IS NULL THEN NULL ELSE '***' END, 'etiquetas', CASE WHEN old.etiquetas IS NULL THEN NULL ELSE '***' END, 'consentimiento_marketing', old.consentimiento_marketing, 'canal_adquisicion', old.canal_adquisicion, 'segmento', old.segmento, 'wa_id', CASE WHEN old.wa_id IS NULL THEN NULL ELSE '***' END, 'pedidos_count', old.pedidos_count, 'total_gastado', old.total_gastado, 'primer_pedido_en', old.primer_pedido_en, 'ultimo_pedido_en', old.ultimo_pedido_en, 'creado_en', old.creado_en, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER clientes_audit_u AFTER UPDATE ON clientes
WHEN old.id IS NOT new.id OR old.nombre IS NOT new.nombre OR old.telefono IS NOT new.telefono OR old.email IS NOT new.email OR old.direccion IS NOT new.direccion OR old.notas IS NOT new.notas OR old.etiquetas IS NOT new.etiquetas OR old.consentimiento_marketing IS NOT new.consentimiento_marketing OR old.canal_adquisicion IS NOT new.canal_adquisicion OR old.segmento IS NOT new.segmento OR old.wa_id IS NOT new.wa_id OR old.pedidos_count IS NOT new.pedidos_count OR old.total_gastado IS NOT new.total_gastado OR old.primer_pedido_en IS NOT new.primer_pedido_en OR old.ultimo_pedido_en IS NOT new.ultimo_pedido_en OR old.creado_en IS NOT new.creado_en OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('clientes', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'nombre' AS k, json_array(CASE WHEN old.nombre IS NULL THEN NULL ELSE '***' END, CASE WHEN new.nombre IS NULL THEN NULL ELSE '***' END) AS v WHERE old.nombre IS NOT new.nombre
            UNION ALL SELECT 'telefono' AS k, json_array(CASE WHEN old.telefono IS NULL THEN NULL ELSE '***' END, CASE WHEN new.telefono IS NULL THEN NULL ELSE '***' END) AS v WHERE old.telefono IS NOT new.telefono
            UNION ALL SELECT 'email' AS k, json_array(CASE WHEN old.email IS NULL THEN NULL ELSE '***' END, CASE WHEN new.email IS NULL THEN NULL ELSE '***' END) AS v WHERE old.email IS NOT new.email
            UNION ALL SELECT 'direccion' AS k, json_array(CASE WHEN old.direccion IS NULL THEN NULL ELSE '***' END, CASE WHEN new.direccion IS NULL THEN NULL ELSE '***' END) AS v WHERE old.direccion IS NOT new.direccion
            UNION ALL SELECT 'notas' AS k, json_array(CASE WHEN old.notas IS NULL THEN NULL ELSE '***' END, CASE WHEN new.notas IS NULL THEN NULL ELSE '***' END) AS v WHERE old.notas IS NOT new.notas
            UNION ALL SELECT 'etiquetas' AS k, json_array(CASE WHEN old.etiquetas IS NULL THEN NULL ELSE '***' END, CASE WHEN new.etiquetas IS NULL THEN NULL ELSE '***' END) AS v WHERE old.etiquetas IS NOT new.etiquetas
            UNION ALL SELECT 'consentimiento_marketing' AS k, json_array(old.consentimiento_marketing, new.consentimiento_marketing) AS v WHERE old.consentimiento_marketing IS NOT new.consentimiento_marketing
            UNION ALL SELECT 'canal_adquisicion' AS k, json_array(old.canal_adquisicion, new.canal_adquisicion) AS v WHERE old.canal_adquisicion IS NOT new.canal_adquisicion
            UNION ALL SELECT 'segmento' AS k, json_array(old.segmento, new.segmento) AS v WHERE old.segmento IS NOT new.segmento
            UNION ALL SELECT 'wa_id' AS k, json_array(CASE WHEN old.wa_id IS NULL THEN NULL ELSE '***' END, CASE WHEN new.wa_id IS NULL THEN NULL ELSE '***' END) AS v WHERE old.wa_id IS NOT new.wa_id
            UNION ALL SELECT 'pedidos_count' AS k, json_array(old.pedidos_count, new.pedidos_count) AS v WHERE old.pedidos_count IS NOT new.pedidos_count
            UNION ALL SELECT 'total_gastado' AS k, json_array(old.total_gastado, new.total_gastado) AS v WHERE old.total_gastado IS NOT new.total_gastado
            UNION ALL SELECT 'primer_pedido_en' AS k, json_array(old.primer_pedido_en, new.primer_pedido_en) AS v WHERE old.primer_pedido_en IS NOT new.primer_pedido_en
            UNION ALL SELECT 'ultimo_pedido_en' AS k, json_array(old.ultimo_pedido_en, new.ultimo_pedido_en) AS v WHERE old.ultimo_pedido_en IS NOT new.ultimo_pedido_en
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;

CREATE TRIGGER productos_audit_i AFTER INSERT ON productos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('productos', new.id, 'insert', json_object('id', new.id, 'sku', new.sku, 'nombre', new.nombre, 'categoria', new.categoria, 'precio', new.precio, 'costo', new.costo, 'stock', new.stock, 'activo', new.activo, 'atributos', new.atributos, 'creado_en', new.creado_en, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER productos_audit_d AFTER DELETE ON productos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('productos', old.id, 'delete', json_object('id', old.id, 'sku', old.sku, 'nombre', old.nombre, 'categoria', old.categoria, 'precio', old.precio, 'costo', old.costo, 'stock', old.stock, 'activo', old.activo, 'atributos', old.atributos, 'creado_en', old.creado_en, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER productos_audit_u AFTER UPDATE ON productos
WHEN old.id IS NOT new.id OR old.sku IS NOT new.sku OR old.nombre IS NOT new.nombre OR old.categoria IS NOT new.categoria OR old.precio IS NOT new.precio OR old.costo IS NOT new.costo OR old.stock IS NOT new.stock OR old.activo IS NOT new.activo OR old.atributos IS NOT new.atributos OR old.creado_en IS NOT new.creado_en OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('productos', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'sku' AS k, json_array(old.sku, new.sku) AS v WHERE old.sku IS NOT new.sku
            UNION ALL SELECT 'nombre' AS k, json_array(old.nombre, new.nombre) AS v WHERE old.nombre IS NOT new.nombre
            UNION ALL SELECT 'categoria' AS k, json_array(old.categoria, new.categoria) AS v WHERE old.categoria IS NOT new.categoria
            UNION ALL SELECT 'precio' AS k, json_array(old.precio, new.precio) AS v WHERE old.precio IS NOT new.precio
            UNION ALL SELECT 'costo' AS k, json_array(old.costo, new.costo) AS v WHERE old.costo IS NOT new.costo
            UNION ALL SELECT 'stock' AS k, json_array(old.stock, new.stock) AS v WHERE old.stock IS NOT new.stock
            UNION ALL SELECT 'activo' AS k, json_array(old.activo, new.activo) AS v WHERE old.activo IS NOT new.activo
            UNION ALL SELECT 'atributos' AS k, json_array(old.atributos, new.atributos) AS v WHERE old.atributos IS NOT new.atributos
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;

CREATE TRIGGER pedidos_audit_i AFTER INSERT ON pedidos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedidos', new.id, 'insert', json_object('id', new.id, 'cliente_id', new.cliente_id, 'canal', new.canal, 'estado', new.estado, 'subtotal', new.subtotal, 'descuento', new.descuento, 'total', new.total, 'notas', CASE WHEN new.notas IS NULL THEN NULL ELSE '***' END, 'external_id', new.external_id, 'creado_en', new.creado_en, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER pedidos_audit_d AFTER DELETE ON pedidos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedidos', old.id, 'delete', json_object('id', old.id, 'cliente_id', old.cliente_id, 'canal', old.canal, 'estado', old.estado, 'subtotal', old.subtotal, 'descuento', old.descuento, 'total', old.total, 'notas', CASE WHEN old.notas IS NULL THEN NULL ELSE '***' END, 'external_id', old.external_id, 'creado_en', old.creado_en, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER pedidos_audit_u AFTER UPDATE ON pedidos
WHEN old.id IS NOT new.id OR old.cliente_id IS NOT new.cliente_id OR old.canal IS NOT new.canal OR old.estado IS NOT new.estado OR old.subtotal IS NOT new.subtotal OR old.descuento IS NOT new.descuento OR old.total IS NOT new.total OR old.notas IS NOT new.notas OR old.external_id IS NOT new.external_id OR old.creado_en IS NOT new.creado_en OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedidos', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'cliente_id' AS k, json_array(old.cliente_id, new.cliente_id) AS v WHERE old.cliente_id IS NOT new.cliente_id
            UNION ALL SELECT 'canal' AS k, json_array(old.canal, new.canal) AS v WHERE old.canal IS NOT new.canal
            UNION ALL SELECT 'estado' AS k, json_array(old.estado, new.estado) AS v WHERE old.estado IS NOT new.estado
            UNION ALL SELECT 'subtotal' AS k, json_array(old.subtotal, new.subtotal) AS v WHERE old.subtotal IS NOT new.subtotal
            UNION ALL SELECT 'descuento' AS k, json_array(old.descuento, new.descuento) AS v WHERE old.descuento IS NOT new.descuento
            UNION ALL SELECT 'total' AS k, json_array(old.total, new.total) AS v WHERE old.total IS NOT new.total
            UNION ALL SELECT 'notas' AS k, json_array(CASE WHEN old.notas IS NULL THEN NULL ELSE '***' END, CASE WHEN new.notas IS NULL THEN NULL ELSE '***' END) AS v WHERE old.notas IS NOT new.notas
            UNION ALL SELECT 'external_id' AS k, json_array(old.external_id, new.external_id) AS v WHERE old.external_id IS NOT new.external_id
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;

CREATE TRIGGER pedido_items_audit_i AFTER INSERT ON pedido_items BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedido_items', new.id, 'insert', json_object('id', new.id, 'pedido_id', new.pedido_id, 'producto_id', new.producto_id, 'sku', new.sku, 'nombre', new.nombre, 'cantidad', new.cantidad, 'precio_unitario', new.precio_unitario, 'total', new.total, 'stock_tomado', new.stock_tomado));
END;

CREATE TRIGGER pedido_items_audit_d AFTER DELETE ON pedido_items BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedido_items', old.id, 'delete', json_object('id', old.id, 'pedido_id', old.pedido_id, 'producto_id', old.producto_id, 'sku', old.sku, 'nombre', old.nombre, 'cantidad', old.cantidad, 'precio_unitario', old.precio_unitario, 'total', old.total, 'stock_tomado', old.stock_tomado));
END;

CREATE TRIGGER pedido_items_audit_u AFTER UPDATE ON pedido_items
WHEN old.id IS NOT new.id OR old.pedido_id IS NOT new.pedido_id OR old.producto_id IS NOT new.producto_id OR old.sku IS NOT new.sku OR old.nombre IS NOT new.nombre OR old.cantidad IS NOT new.cantidad OR old.precio_unitario IS NOT new.precio_unitario OR old.total IS NOT new.total OR old.stock_tomado IS NOT new.stock_tomado
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedido_items', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'pedido_id' AS k, json_array(old.pedido_id, new.pedido_id) AS v WHERE old.pedido_id IS NOT new.pedido_id
            UNION ALL SELECT 'producto_id' AS k, json_array(old.producto_id, new.producto_id) AS v WHERE old.producto_id IS NOT new.producto_id
            UNION ALL SELECT 'sku' AS k, json_array(old.sku, new.sku) AS v WHERE old.sku IS NOT new.sku
            UNION ALL SELECT 'nombre' AS k, json_array(old.nombre, new.nombre) AS v WHERE old.nombre IS NOT new.nombre
            UNION ALL SELECT 'cantidad' AS k, json_array(old.cantidad, new.cantidad) AS v WHERE old.cantidad IS NOT new.cantidad
            UNION ALL SELECT 'precio_unitario' AS k, json_array(old.precio_unitario, new.precio_unitario) AS v WHERE old.precio_unitario IS NOT new.precio_unitario
            UNION ALL SELECT 'total' AS k, json_array(old.total, new.total) AS v WHERE old.total IS NOT new.total
            UNION ALL SELECT 'stock_tomado' AS k, json_array(old.stock_tomado, new.stock_tomado) AS v WHERE old.stock_tomado IS NOT new.stock_tomado)));
END;

CREATE TRIGGER pedido_estados_audit_i AFTER INSERT ON pedido_estados BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedido_estados', new.id, 'insert', json_object('id', new.id, 'pedido_id', new.pedido_id, 'estado', new.estado, 'anterior', new.anterior, 'actor', new.actor, 'nota', CASE WHEN new.nota IS NULL THEN NULL ELSE '***' END, 'creado_en', new.creado_en));
END;

CREATE TRIGGER pedido_estados_audit_d AFTER DELETE ON pedido_estados BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedido_estados', old.id, 'delete', json_object('id', old.id, 'pedido_id', old.pedido_id, 'estado', old.estado, 'anterior', old.anterior, 'actor', old.actor, 'nota', CASE WHEN old.nota IS NULL THEN NULL ELSE '***' END, 'creado_en', old.creado_en));
END;

CREATE TRIGGER pedido_estados_audit_u AFTER UPDATE ON pedido_estados
WHEN old.id IS NOT new.id OR old.pedido_id IS NOT new.pedido_id OR old.estado IS NOT new.estado OR old.anterior IS NOT new.anterior OR old.actor IS NOT new.actor OR old.nota IS NOT new.nota OR old.creado_en IS NOT new.creado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('pedido_estados', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'pedido_id' AS k, json_array(old.pedido_id, new.pedido_id) AS v WHERE old.pedido_id IS NOT new.pedido_id
            UNION ALL SELECT 'estado' AS k, json_array(old.estado, new.estado) AS v WHERE old.estado IS NOT new.estado
            UNION ALL SELECT 'anterior' AS k, json_array(old.anterior, new.anterior) AS v WHERE old.anterior IS NOT new.anterior
            UNION ALL SELECT 'actor' AS k, json_array(old.actor, new.actor) AS v WHERE old.actor IS NOT new.actor
            UNION ALL SELECT 'nota' AS k, json_array(CASE WHEN old.nota IS NULL THEN NULL ELSE '***' END, CASE WHEN new.nota IS NULL THEN NULL ELSE '***' END) AS v WHERE old.nota IS NOT new.nota
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en)));
END;

CREATE TRIGGER interacciones_audit_i AFTER INSERT ON interacciones BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('interacciones', new.id, 'insert', json_object('id', new.id, 'cliente_id', new.cliente_id, 'canal', new.canal, 'direccion', new.direccion, 'tipo', new.tipo, 'cuerpo', CASE WHEN new.cuerpo IS NULL THEN NULL ELSE '***' END, 'external_id', new.external_id, 'pedido_id', new.pedido_id, 'metadatos', CASE WHEN new.metadatos IS NULL THEN NULL ELSE '***' END, 'creado_en', new.creado_en));
END;

CREATE TRIGGER interacciones_audit_d AFTER DELETE ON interacciones BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('interacciones', old.id, 'delete', json_object('id', old.id, 'cliente_id', old.cliente_id, 'canal', old.canal, 'direccion', old.direccion, 'tipo', old.tipo, 'cuerpo', CASE WHEN old.cuerpo IS NULL THEN NULL ELSE '***' END, 'external_id', old.external_id, 'pedido_id', old.pedido_id, 'metadatos', CASE WHEN old.metadatos IS NULL THEN NULL ELSE '***' END, 'creado_en', old.creado_en));
END;

CREATE TRIGGER interacciones_audit_u AFTER UPDATE ON interacciones
WHEN old.id IS NOT new.id OR old.cliente_id IS NOT new.cliente_id OR old.canal IS NOT new.canal OR old.direccion IS NOT new.direccion OR old.tipo IS NOT new.tipo OR old.cuerpo IS NOT new.cuerpo OR old.external_id IS NOT new.external_id OR old.pedido_id IS NOT new.pedido_id OR old.metadatos IS NOT new.metadatos OR old.creado_en IS NOT new.creado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('interacciones', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'cliente_id' AS k, json_array(old.cliente_id, new.cliente_id) AS v WHERE old.cliente_id IS NOT new.cliente_id
            UNION ALL SELECT 'canal' AS k, json_array(old.canal, new.canal) AS v WHERE old.canal IS NOT new.canal
            UNION ALL SELECT 'direccion' AS k, json_array(old.direccion, new.direccion) AS v WHERE old.direccion IS NOT new.direccion
            UNION ALL SELECT 'tipo' AS k, json_array(old.tipo, new.tipo) AS v WHERE old.tipo IS NOT new.tipo
            UNION ALL SELECT 'cuerpo' AS k, json_array(CASE WHEN old.cuerpo IS NULL THEN NULL ELSE '***' END, CASE WHEN new.cuerpo IS NULL THEN NULL ELSE '***' END) AS v WHERE old.cuerpo IS NOT new.cuerpo
            UNION ALL SELECT 'external_id' AS k, json_array(old.external_id, new.external_id) AS v WHERE old.external_id IS NOT new.external_id
            UNION ALL SELECT 'pedido_id' AS k, json_array(old.pedido_id, new.pedido_id) AS v WHERE old.pedido_id IS NOT new.pedido_id
            UNION ALL SELECT 'metadatos' AS k, json_array(CASE WHEN old.metadatos IS NULL THEN NULL ELSE '***' END, CASE WHEN new.metadatos IS NULL THEN NULL ELSE '***' END) AS v WHERE old.metadatos IS NOT new.metadatos
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en)));
END;

CREATE TRIGGER outbox_audit_i AFTER INSERT ON outbox BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('outbox', new.id, 'insert', json_object('id', new.id, 'servicio', new.servicio, 'destino', CASE WHEN new.destino IS NULL THEN NULL ELSE '***' END, 'cuerpo', CASE WHEN new.cuerpo IS NULL THEN NULL ELSE '***' END, 'clave', new.clave, 'estado', new.estado, 'intentos', new.intentos, 'ultimo_error', new.ultimo_error, 'external_id', new.external_id, 'cliente_id', new.cliente_id, 'creado_en', new.creado_en, 'enviado_en', new.enviado_en));
END;

CREATE TRIGGER outbox_audit_d AFTER DELETE ON outbox BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('outbox', old.id, 'delete', json_object('id', old.id, 'servicio', old.servicio, 'destino', CASE WHEN old.destino IS NULL THEN NULL ELSE '***' END, 'cuerpo', CASE WHEN old.cuerpo IS NULL THEN NULL ELSE '***' END, 'clave', old.clave, 'estado', old.estado, 'intentos', old.intentos, 'ultimo_error', old.ultimo_error, 'external_id', old.external_id, 'cliente_id', old.cliente_id, 'creado_en', old.creado_en, 'enviado_en', old.enviado_en));
END;

CREATE TRIGGER outbox_audit_u AFTER UPDATE OF estado ON outbox
WHEN old.estado IS NOT new.estado
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('outbox', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'estado' AS k, json_array(old.estado, new.estado) AS v WHERE old.estado IS NOT new.estado)));
END;

CREATE TRIGGER conversaciones_audit_i AFTER INSERT ON conversaciones BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('conversaciones', new.cliente_id, 'insert', json_object('cliente_id', new.cliente_id, 'estado', new.estado, 'necesita_humano', new.necesita_humano, 'motivo_humano', CASE WHEN new.motivo_humano IS NULL THEN NULL ELSE '***' END, 'asignado_a', new.asignado_a, 'no_leidos', new.no_leidos, 'ultimo_mensaje_en', new.ultimo_mensaje_en, 'ultimo_resumen', CASE WHEN new.ultimo_resumen IS NULL THEN NULL ELSE '***' END, 'actualizado_en', new.actualizado_en));
END;

CREATE TRIGGER conversaciones_audit_d AFTER DELETE ON conversaciones BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('conversaciones', old.cliente_id, 'delete', json_object('cliente_id', old.cliente_id, 'estado', old.estado, 'necesita_humano', old.necesita_humano, 'motivo_humano', CASE WHEN old.motivo_humano IS NULL THEN NULL ELSE '***' END, 'asignado_a', old.asignado_a, 'no_leidos', old.no_leidos, 'ultimo_mensaje_en', old.ultimo_mensaje_en, 'ultimo_resumen', CASE WHEN old.ultimo_resumen IS NULL THEN NULL ELSE '***' END, 'actualizado_en', old.actualizado_en));
END;

CREATE TRIGGER conversaciones_audit_u AFTER UPDATE ON conversaciones
WHEN old.cliente_id IS NOT new.cliente_id OR old.estado IS NOT new.estado OR old.necesita_humano IS NOT new.necesita_humano OR old.motivo_humano IS NOT new.motivo_humano OR old.asignado_a IS NOT new.asignado_a OR old.no_leidos IS NOT new.no_leidos OR old.ultimo_mensaje_en IS NOT new.ultimo_mensaje_en OR old.ultimo_resumen IS NOT new.ultimo_resumen OR old.actualizado_en IS NOT new.actualizado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('conversaciones', new.cliente_id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'cliente_id' AS k, json_array(old.cliente_id, new.cliente_id) AS v WHERE old.cliente_id IS NOT new.cliente_id
            UNION ALL SELECT 'estado' AS k, json_array(old.estado, new.estado) AS v WHERE old.estado IS NOT new.estado
            UNION ALL SELECT 'necesita_humano' AS k, json_array(old.necesita_humano, new.necesita_humano) AS v WHERE old.necesita_humano IS NOT new.necesita_humano
            UNION ALL SELECT 'motivo_humano' AS k, json_array(CASE WHEN old.motivo_humano IS NULL THEN NULL ELSE '***' END, CASE WHEN new.motivo_humano IS NULL THEN NULL ELSE '***' END) AS v WHERE old.motivo_humano IS NOT new.motivo_humano
            UNION ALL SELECT 'asignado_a' AS k, json_array(old.asignado_a, new.asignado_a) AS v WHERE old.asignado_a IS NOT new.asignado_a
            UNION ALL SELECT 'no_leidos' AS k, json_array(old.no_leidos, new.no_leidos) AS v WHERE old.no_leidos IS NOT new.no_leidos
            UNION ALL SELECT 'ultimo_mensaje_en' AS k, json_array(old.ultimo_mensaje_en, new.ultimo_mensaje_en) AS v WHERE old.ultimo_mensaje_en IS NOT new.ultimo_mensaje_en
            UNION ALL SELECT 'ultimo_resumen' AS k, json_array(CASE WHEN old.ultimo_resumen IS NULL THEN NULL ELSE '***' END, CASE WHEN new.ultimo_resumen IS NULL THEN NULL ELSE '***' END) AS v WHERE old.ultimo_resumen IS NOT new.ultimo_resumen
            UNION ALL SELECT 'actualizado_en' AS k, json_array(old.actualizado_en, new.actualizado_en) AS v WHERE old.actualizado_en IS NOT new.actualizado_en)));
END;

CREATE TRIGGER wa_contactos_audit_i AFTER INSERT ON wa_contactos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_contactos', new.cliente_id, 'insert', json_object('cliente_id', new.cliente_id, 'bsuid', CASE WHEN new.bsuid IS NULL THEN NULL ELSE '***' END, 'wa_id', CASE WHEN new.wa_id IS NULL THEN NULL ELSE '***' END, 'nombre_perfil', CASE WHEN new.nombre_perfil IS NULL THEN NULL ELSE '***' END, 'username', CASE WHEN new.username IS NULL THEN NULL ELSE '***' END, 'ultimo_entrante_en', new.ultimo_entrante_en));
END;

CREATE TRIGGER wa_contactos_audit_d AFTER DELETE ON wa_contactos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_contactos', old.cliente_id, 'delete', json_object('cliente_id', old.cliente_id, 'bsuid', CASE WHEN old.bsuid IS NULL THEN NULL ELSE '***' END, 'wa_id', CASE WHEN old.wa_id IS NULL THEN NULL ELSE '***' END, 'nombre_perfil', CASE WHEN old.nombre_perfil IS NULL THEN NULL ELSE '***' END, 'username', CASE WHEN old.username IS NULL THEN NULL ELSE '***' END, 'ultimo_entrante_en', old.ultimo_entrante_en));
END;

CREATE TRIGGER wa_contactos_audit_u AFTER UPDATE ON wa_contactos
WHEN old.cliente_id IS NOT new.cliente_id OR old.bsuid IS NOT new.bsuid OR old.wa_id IS NOT new.wa_id OR old.nombre_perfil IS NOT new.nombre_perfil OR old.username IS NOT new.username OR old.ultimo_entrante_en IS NOT new.ultimo_entrante_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_contactos', new.cliente_id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'cliente_id' AS k, json_array(old.cliente_id, new.cliente_id) AS v WHERE old.cliente_id IS NOT new.cliente_id
            UNION ALL SELECT 'bsuid' AS k, json_array(CASE WHEN old.bsuid IS NULL THEN NULL ELSE '***' END, CASE WHEN new.bsuid IS NULL THEN NULL ELSE '***' END) AS v WHERE old.bsuid IS NOT new.bsuid
            UNION ALL SELECT 'wa_id' AS k, json_array(CASE WHEN old.wa_id IS NULL THEN NULL ELSE '***' END, CASE WHEN new.wa_id IS NULL THEN NULL ELSE '***' END) AS v WHERE old.wa_id IS NOT new.wa_id
            UNION ALL SELECT 'nombre_perfil' AS k, json_array(CASE WHEN old.nombre_perfil IS NULL THEN NULL ELSE '***' END, CASE WHEN new.nombre_perfil IS NULL THEN NULL ELSE '***' END) AS v WHERE old.nombre_perfil IS NOT new.nombre_perfil
            UNION ALL SELECT 'username' AS k, json_array(CASE WHEN old.username IS NULL THEN NULL ELSE '***' END, CASE WHEN new.username IS NULL THEN NULL ELSE '***' END) AS v WHERE old.username IS NOT new.username
            UNION ALL SELECT 'ultimo_entrante_en' AS k, json_array(old.ultimo_entrante_en, new.ultimo_entrante_en) AS v WHERE old.ultimo_entrante_en IS NOT new.ultimo_entrante_en)));
END;

CREATE TRIGGER wa_faq_audit_i AFTER INSERT ON wa_faq BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_faq', new.id, 'insert', json_object('id', new.id, 'pregunta', new.pregunta, 'respuesta', new.respuesta, 'creado_en', new.creado_en));
END;

CREATE TRIGGER wa_faq_audit_d AFTER DELETE ON wa_faq BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_faq', old.id, 'delete', json_object('id', old.id, 'pregunta', old.pregunta, 'respuesta', old.respuesta, 'creado_en', old.creado_en));
END;

CREATE TRIGGER wa_faq_audit_u AFTER UPDATE ON wa_faq
WHEN old.id IS NOT new.id OR old.pregunta IS NOT new.pregunta OR old.respuesta IS NOT new.respuesta OR old.creado_en IS NOT new.creado_en
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_faq', new.id, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'id' AS k, json_array(old.id, new.id) AS v WHERE old.id IS NOT new.id
            UNION ALL SELECT 'pregunta' AS k, json_array(old.pregunta, new.pregunta) AS v WHERE old.pregunta IS NOT new.pregunta
            UNION ALL SELECT 'respuesta' AS k, json_array(old.respuesta, new.respuesta) AS v WHERE old.respuesta IS NOT new.respuesta
            UNION ALL SELECT 'creado_en' AS k, json_array(old.creado_en, new.creado_en) AS v WHERE old.creado_en IS NOT new.creado_en)));
END;

CREATE TRIGGER wa_sinonimos_audit_i AFTER INSERT ON wa_sinonimos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_sinonimos', NULL, 'insert', json_object('sku', new.sku, 'sinonimo', new.sinonimo));
END;

CREATE TRIGGER wa_sinonimos_audit_d AFTER DELETE ON wa_sinonimos BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_sinonimos', NULL, 'delete', json_object('sku', old.sku, 'sinonimo', old.sinonimo));
END;

CREATE TRIGGER wa_sinonimos_audit_u AFTER UPDATE ON wa_sinonimos
WHEN old.sku IS NOT new.sku OR old.sinonimo IS NOT new.sinonimo
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_sinonimos', NULL, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'sku' AS k, json_array(old.sku, new.sku) AS v WHERE old.sku IS NOT new.sku
            UNION ALL SELECT 'sinonimo' AS k, json_array(old.sinonimo, new.sinonimo) AS v WHERE old.sinonimo IS NOT new.sinonimo)));
END;

CREATE TRIGGER wa_ajustes_audit_i AFTER INSERT ON wa_ajustes BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_ajustes', NULL, 'insert', json_object('clave', new.clave, 'valor', new.valor));
END;

CREATE TRIGGER wa_ajustes_audit_d AFTER DELETE ON wa_ajustes BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_ajustes', NULL, 'delete', json_object('clave', old.clave, 'valor', old.valor));
END;

CREATE TRIGGER wa_ajustes_audit_u AFTER UPDATE ON wa_ajustes
WHEN old.clave IS NOT new.clave OR old.valor IS NOT new.valor
BEGIN
    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)
    VALUES ('wa_ajustes', NULL, 'update', (SELECT json_group_object(k, json(v)) FROM (
            SELECT 'clave' AS k, json_array(old.clave, new.clave) AS v WHERE old.clave IS NOT new.clave
            UNION ALL SELECT 'valor' AS k, json_array(old.valor, new.valor) AS v WHERE old.valor IS NOT new.valor)));
END;

-- Marketing consent history: every change of clientes.consentimiento_marketing with when and
-- its source (the actor of the write: a staff member, a token, the WhatsApp webhook, an
-- import). Kept after a GDPR erasure: it proves what the person had agreed to, not who they are.
CREATE TABLE consentimientos (
    id          INTEGER PRIMARY KEY,
    cliente_id  INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    valor       INTEGER NOT NULL CHECK (valor IN (0, 1)),
    fuente      TEXT NOT NULL,
    en          INTEGER NOT NULL
) STRICT;
CREATE INDEX consentimientos_cliente ON consentimientos (cliente_id, id);
CREATE TRIGGER clientes_consent_i AFTER INSERT ON clientes BEGIN
    INSERT INTO consentimientos (cliente_id, valor, fuente, en)
    VALUES (new.id, new.consentimiento_marketing, audit_actor(), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
CREATE TRIGGER clientes_consent_u AFTER UPDATE OF consentimiento_marketing ON clientes
WHEN old.consentimiento_marketing IS NOT new.consentimiento_marketing BEGIN
    INSERT INTO consentimientos (cliente_id, valor, fuente, en)
    VALUES (new.id, new.consentimiento_marketing, audit_actor(), CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
