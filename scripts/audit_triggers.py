#!/usr/bin/env python3
"""Generates the audit triggers of tenant migration V11 (migrations/tenant/V11__auditoria.sql).

`AUDIT_SCHEMA=v17` prints tenant migration V17 instead (tables V12-V16 added without
triggers, see T17): for each table its change-feed triggers (FEED17: the column written as
`changes.fila_id`, or None for a tiny table re-copied whole, fila_id 0) and, unless listed in
NO_AUDIT17, its audit triggers.

For a table added later, add it to T (key column, columns with * = personal/masked, and
optionally the columns whose update is worth a record) and paste the triggers printed for
it into a NEW migration; never edit V11 once landed. Header: /tmp/head.sql in the original run.

What it prints is history, not the current schema: later migrations replaced some triggers by
hand. V31 (migrations/tenant/V31__auditoria_sin_contadores.sql) rewrote the update triggers of
`conversaciones` and `wa_contactos` so the inbox's bookkeeping columns (unread count, last
message and summary, the 24-hour window) are no longer audited; read the migrations for what
runs today."""
import os
CONTROL = {
 'marcas': (None, ['slug','nombre','moneda','zona_horaria','pais','idioma','configuracion','archivada_en','creado_en','actualizado_en'], None),
 'api_tokens': ('id', ['id','*hash','marca','alcance','etiqueta','creado_en','revocado_en'], None),
 'usuarios': ('id', ['id','email','nombre','*hash_clave','rol','idioma','activo','creado_en','actualizado_en'], None),
 'usuario_marcas': (None, ['usuario_id','marca'], None),
 'sesiones': (None, ['*hash','usuario_id','*csrf','creado_en','expira_en'], []),
 'whatsapp_numeros': (None, ['phone_number_id','marca','waba_id','*verify_token','*verify_token_indice','*app_secret','*access_token','mps','creado_en','actualizado_en'], None),
}
T = {
 'clientes': ('id', ['id','*nombre','*telefono','*email','*direccion','*notas','*etiquetas','consentimiento_marketing','canal_adquisicion','segmento','*wa_id','pedidos_count','total_gastado','primer_pedido_en','ultimo_pedido_en','creado_en','actualizado_en'], None),
 'productos': ('id', ['id','sku','nombre','categoria','precio','costo','stock','activo','atributos','creado_en','actualizado_en'], None),
 'pedidos': ('id', ['id','cliente_id','canal','estado','subtotal','descuento','total','*notas','external_id','creado_en','actualizado_en'], None),
 'pedido_items': ('id', ['id','pedido_id','producto_id','sku','nombre','cantidad','precio_unitario','total','stock_tomado'], None),
 'pedido_estados': ('id', ['id','pedido_id','estado','anterior','actor','*nota','creado_en'], None),
 'interacciones': ('id', ['id','cliente_id','canal','direccion','tipo','*cuerpo','external_id','pedido_id','*metadatos','creado_en'], None),
 'outbox': ('id', ['id','servicio','*destino','*cuerpo','clave','estado','intentos','ultimo_error','external_id','cliente_id','creado_en','enviado_en'], ['estado']),
 'conversaciones': ('cliente_id', ['cliente_id','estado','necesita_humano','*motivo_humano','asignado_a','no_leidos','ultimo_mensaje_en','*ultimo_resumen','actualizado_en'], None),
 'wa_contactos': ('cliente_id', ['cliente_id','*bsuid','*wa_id','*nombre_perfil','*username','ultimo_entrante_en'], None),
 'wa_faq': ('id', ['id','pregunta','respuesta','creado_en'], None),
 'wa_sinonimos': (None, ['sku','sinonimo'], None),
 'wa_ajustes': (None, ['clave','valor'], None),
}
# Tenant migration V17: the tables of V9/V11-V16 that had no triggers.
T17 = {
 'campanas': ('id', ['id','nombre','tipo','audiencia','plantilla','idioma','variables','estado','programada_para','lanzada_en','destinatarios','creado_por','creado_en','actualizado_en'], None),
 'campana_destinatarios': (None, ['campana_id','cliente_id','outbox_id','creado_en'], None),
 'automatizaciones': (None, ['clave','activa','plantilla','idioma','ajustes','actualizado_en'], None),
 'encuestas': ('pedido_id', ['pedido_id','cliente_id','estado','csat','nps','*comentario','enviada_en','respondida_en'], None),
 'recordatorios': ('id', ['id','cliente_id','*texto','vence_en','origen','clave','creado_por','hecho_en','creado_en'], None),
 'fidelidad_programa': ('id', ['id','tipo','monto_por_punto','pedido_minimo','vigencia_dias','activo','actualizado_en'], None),
 'fidelidad_recompensas': ('id', ['id','nombre','costo','descuento','activo','creado_en'], None),
 'fidelidad_movimientos': ('id', ['id','cliente_id','tipo','puntos','pedido_id','recompensa_id','*nota','vence_en','creado_en'], None),
 'promociones': ('id', ['id','nombre','tipo','porcentaje','producto_id','categoria','dias','minuto_desde','minuto_hasta','segmento','zona_horaria','activo','creado_en'], None),
 'pedido_descuentos': ('id', ['id','pedido_id','origen','motivo','monto','creado_en'], None),
 'suscripcion_planes': ('id', ['id','nombre','items','precio','periodo','cada_semanas','activo','creado_en'], None),
 'suscripciones': ('id', ['id','plan_id','cliente_id','estado','inicio','proximo_periodo','creado_en','actualizado_en','cancelada_en'], None),
 'suscripcion_periodos': (None, ['suscripcion_id','periodo','fecha','aviso_en','saltado','pedido_id'], None),
 'impacto_ranking': ('cliente_id', ['cliente_id','creado_en'], None),
 'avisos_reposicion': ('id', ['id','cliente_id','producto_id','estado','origen','creado_en','listo_en','enviado_en','outbox_id'], None),
 'movimientos_stock': ('id', ['id','producto_id','delta','stock_resultante','tipo','pedido_id','creado_en'], None),
 'garantias': ('id', ['id','cliente_id','pedido_id','pedido_item_id','producto_id','nombre','meses','inicio_en','vence_en','recordado_en'], None),
 'tickets_soporte': ('id', ['id','cliente_id','pedido_id','garantia_id','*asunto','*detalle','estado','prioridad','origen','creado_en','actualizado_en'], None),
 'segmento_cambios': ('id', ['id','cliente_id','desde','hacia','en'], None),
 'consentimientos': ('id', ['id','cliente_id','valor','fuente','en'], None),
}
# Column whose value goes to changes.fila_id (the mirror's key or key group); None: fila_id 0,
# the mirror re-copies the whole (tiny) table on any change.
FEED17 = {t: (spec[0] or {'campana_destinatarios': 'campana_id', 'suscripcion_periodos': 'suscripcion_id'}.get(t)) for t, spec in T17.items()}
# Histories written by triggers of changes that are audited already (clientes.segmento,
# clientes.consentimiento_marketing, productos.stock): auditing them again only repeats those
# rows (audit::tests exempts exactly these).
NO_AUDIT17 = {'segmento_cambios', 'consentimientos', 'movimientos_stock'}
if os.environ.get('AUDIT_SCHEMA') == 'control':
    T = CONTROL
FEED = {}
if os.environ.get('AUDIT_SCHEMA') == 'v17':
    T = {t: spec for t, spec in T17.items() if t not in NO_AUDIT17}
    FEED = FEED17
def val(ref, c):
    if c.startswith('*'):
        c = c[1:]
        return f"CASE WHEN {ref}.{c} IS NULL THEN NULL ELSE '***' END"
    return f"{ref}.{c}"
def name(c): return c.lstrip('*')
out = []
import sys
if len(sys.argv) > 1:
    out.append(open(sys.argv[1]).read())
# Rows written before these triggers existed enter the feed once, so a mirror that is already
# following the brand copies them too (a no-op on a new brand).
for t, col in FEED.items():
    if col is None:
        out.append(f"INSERT INTO changes (tabla, fila_id, op) SELECT '{t}', 0, 'insert' WHERE EXISTS (SELECT 1 FROM {t});")
    else:
        out.append(f"INSERT INTO changes (tabla, fila_id, op) SELECT DISTINCT '{t}', {col}, 'insert' FROM {t} ORDER BY {col};")
for t, col in FEED.items():
    for op, ref, short in (('insert', 'new', 'i'), ('update', 'new', 'u'), ('delete', 'old', 'd')):
        fid = f"{ref}.{col}" if col else "0"
        # A key (or group) that changes leaves its old value behind too, so the mirror drops it.
        moved = (f" INSERT INTO changes (tabla, fila_id, op) SELECT '{t}', old.{col}, 'update' WHERE old.{col} IS NOT new.{col};"
                 if col and op == 'update' else "")
        out.append(f"CREATE TRIGGER {t}_c{short} AFTER {op.upper()} ON {t} BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('{t}', {fid}, '{op}');{moved} END;")
for t,(pk,cols,upd_only) in T.items():
    fid = lambda ref: f"{ref}.{pk}" if pk else "NULL"
    for op, ref in (('insert','new'),('delete','old')):
        when = 'INSERT' if op=='insert' else 'DELETE'
        obj = ", ".join(f"'{name(c)}', {val(ref,c)}" for c in cols)
        out.append(f"CREATE TRIGGER {t}_audit_{op[0]} AFTER {when} ON {t} BEGIN\n    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)\n    VALUES ('{t}', {fid(ref)}, '{op}', json_object({obj}));\nEND;")
    if upd_only == []:
        continue
    ucols = [c for c in cols if name(c) in (upd_only or [name(x) for x in cols])]
    whencl = " OR ".join(f"old.{name(c)} IS NOT new.{name(c)}" for c in ucols)
    rows = "\n            UNION ALL ".join(
        f"SELECT '{name(c)}' AS k, json_array({val('old',c)}, {val('new',c)}) AS v WHERE old.{name(c)} IS NOT new.{name(c)}" for c in ucols)
    of = f" OF {', '.join(name(c) for c in ucols)}" if upd_only else ""
    out.append(f"CREATE TRIGGER {t}_audit_u AFTER UPDATE{of} ON {t}\nWHEN {whencl}\nBEGIN\n    INSERT INTO auditoria_nueva (tabla, fila_id, accion, cambios)\n    VALUES ('{t}', {fid('new')}, 'update', (SELECT json_group_object(k, json(v)) FROM (\n            {rows})));\nEND;")
print("\n\n".join(out))
