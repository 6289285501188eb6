#!/usr/bin/env python3
"""Generates the audit triggers of tenant migration V11 (migrations/tenant/V11__auditoria.sql).

For a table added later, add it to T (key column, columns with * = personal/masked, and
optionally the columns whose update is worth a record) and paste the triggers printed for
it into a NEW migration; never edit V11 once landed. Header: /tmp/head.sql in the original run."""
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
if os.environ.get('AUDIT_SCHEMA') == 'control':
    T = CONTROL
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
