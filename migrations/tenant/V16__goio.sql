-- Numbered 16 (written as V14 on a parallel branch): refinery refuses a migration numbered
-- below one an existing database already has, and V15 landed first.
-- Goio playbook (issue 7, parts 5-7): restock alerts, stock movements, warranties, support
-- tickets. None of these tables feed `changes` (no change/audit triggers yet) and none is
-- mirrored yet.

-- A customer waiting for a product to come back. `esperando` until the product's stock goes
-- from 0 to positive (the trigger below flips it to `listo` in the same transaction as the
-- stock change); the `avisos_reposicion` job then queues exactly one WhatsApp message
-- (outbox key `restock:{id}`) and marks it `enviado`.
CREATE TABLE avisos_reposicion (
    id          INTEGER PRIMARY KEY,
    cliente_id  INTEGER NOT NULL REFERENCES clientes(id),
    producto_id INTEGER NOT NULL REFERENCES productos(id),
    estado      TEXT NOT NULL DEFAULT 'esperando'
                CHECK (estado IN ('esperando', 'listo', 'enviado', 'cancelado')),
    origen      TEXT NOT NULL DEFAULT 'personal' CHECK (origen IN ('whatsapp', 'personal')),
    creado_en   INTEGER NOT NULL,
    listo_en    INTEGER,
    enviado_en  INTEGER,
    outbox_id   INTEGER
);
-- One open request per customer and product (asking twice does not send twice).
CREATE UNIQUE INDEX avisos_reposicion_abierto
    ON avisos_reposicion (cliente_id, producto_id) WHERE estado IN ('esperando', 'listo');
CREATE INDEX avisos_reposicion_estado ON avisos_reposicion (estado, producto_id);

-- 0 -> positive only: untracked (NULL) -> positive is not a restock.
CREATE TRIGGER avisos_reposicion_llego AFTER UPDATE OF stock ON productos
WHEN old.stock = 0 AND new.stock > 0
BEGIN
    UPDATE avisos_reposicion SET estado = 'listo', listo_en = new.actualizado_en
    WHERE producto_id = new.id AND estado = 'esperando';
END;

-- Stock movements ledger, written by triggers in the transaction that moves the stock:
-- a manual increase is a receipt (`ingreso`), a manual decrease an adjustment (`ajuste`);
-- when an order line takes or gives back stock (pedido_items.stock_tomado changes right after
-- the product's stock) the movement is re-labelled `venta` or `devolucion` with its order.
CREATE TABLE movimientos_stock (
    id               INTEGER PRIMARY KEY,
    producto_id      INTEGER NOT NULL REFERENCES productos(id),
    delta            INTEGER NOT NULL,
    stock_resultante INTEGER NOT NULL,
    tipo             TEXT NOT NULL CHECK (tipo IN ('venta', 'devolucion', 'ajuste', 'ingreso')),
    pedido_id        INTEGER,
    creado_en        INTEGER NOT NULL
);
CREATE INDEX movimientos_stock_producto ON movimientos_stock (producto_id, id);

CREATE TRIGGER movimientos_stock_registrar AFTER UPDATE OF stock ON productos
WHEN old.stock IS NOT NULL AND new.stock IS NOT NULL AND old.stock <> new.stock
BEGIN
    INSERT INTO movimientos_stock (producto_id, delta, stock_resultante, tipo, creado_en)
    VALUES (new.id, new.stock - old.stock, new.stock,
            CASE WHEN new.stock > old.stock THEN 'ingreso' ELSE 'ajuste' END, new.actualizado_en);
END;

CREATE TRIGGER movimientos_stock_pedido AFTER UPDATE OF stock_tomado ON pedido_items
WHEN old.stock_tomado <> new.stock_tomado
BEGIN
    UPDATE movimientos_stock
    SET tipo = CASE WHEN new.stock_tomado > old.stock_tomado THEN 'venta' ELSE 'devolucion' END,
        pedido_id = new.pedido_id
    WHERE id = (SELECT MAX(id) FROM movimientos_stock WHERE producto_id = new.producto_id)
      AND delta = old.stock_tomado - new.stock_tomado;
END;

-- Warranties: one record per delivered order line of a product with `garantia_meses` in its
-- attributes, written by a trigger when the order becomes `entregado`. `recordado_en` is set
-- when the before-expiry reminder is queued (job `garantias_por_vencer`, key `warranty:{id}`).
CREATE TABLE garantias (
    id              INTEGER PRIMARY KEY,
    cliente_id      INTEGER NOT NULL REFERENCES clientes(id),
    pedido_id       INTEGER NOT NULL REFERENCES pedidos(id),
    pedido_item_id  INTEGER NOT NULL UNIQUE REFERENCES pedido_items(id),
    producto_id     INTEGER REFERENCES productos(id),
    nombre          TEXT NOT NULL,
    meses           INTEGER NOT NULL CHECK (meses > 0),
    inicio_en       INTEGER NOT NULL,
    vence_en        INTEGER NOT NULL,
    recordado_en    INTEGER
);
CREATE INDEX garantias_cliente ON garantias (cliente_id, vence_en);
CREATE INDEX garantias_vence ON garantias (vence_en) WHERE recordado_en IS NULL;

CREATE TRIGGER garantias_al_entregar AFTER UPDATE OF estado ON pedidos
WHEN new.estado = 'entregado' AND old.estado IS NOT 'entregado'
BEGIN
    INSERT INTO garantias (cliente_id, pedido_id, pedido_item_id, producto_id, nombre, meses, inicio_en, vence_en)
    SELECT new.cliente_id, new.id, i.id, i.producto_id, i.nombre,
           CAST(json_extract(p.atributos, '$.garantia_meses') AS INTEGER),
           new.actualizado_en,
           CAST(strftime('%s', new.actualizado_en / 1000, 'unixepoch',
                '+' || CAST(json_extract(p.atributos, '$.garantia_meses') AS INTEGER) || ' months') AS INTEGER) * 1000
               + new.actualizado_en % 1000
    FROM pedido_items i JOIN productos p ON p.id = i.producto_id
    WHERE i.pedido_id = new.id
      AND CAST(json_extract(p.atributos, '$.garantia_meses') AS INTEGER) > 0
    ON CONFLICT (pedido_item_id) DO NOTHING;
END;

-- Support tickets on a customer, optionally about an order and a warranty.
CREATE TABLE tickets_soporte (
    id              INTEGER PRIMARY KEY,
    cliente_id      INTEGER NOT NULL REFERENCES clientes(id),
    pedido_id       INTEGER REFERENCES pedidos(id),
    garantia_id     INTEGER REFERENCES garantias(id),
    asunto          TEXT NOT NULL,
    detalle         TEXT NOT NULL DEFAULT '',
    estado          TEXT NOT NULL DEFAULT 'abierto'
                    CHECK (estado IN ('abierto', 'en_proceso', 'resuelto', 'cerrado')),
    prioridad       TEXT NOT NULL DEFAULT 'media' CHECK (prioridad IN ('baja', 'media', 'alta')),
    origen          TEXT NOT NULL DEFAULT 'personal' CHECK (origen IN ('whatsapp', 'personal')),
    creado_en       INTEGER NOT NULL,
    actualizado_en  INTEGER NOT NULL
);
CREATE INDEX tickets_soporte_cliente ON tickets_soporte (cliente_id, id);
CREATE INDEX tickets_soporte_estado ON tickets_soporte (estado, prioridad);
