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
