-- One brand's business data. Times are unix milliseconds UTC; money is integer minor units
-- in the brand's currency. Every business table feeds the `changes` table through triggers.

CREATE TABLE clientes (
    id                      INTEGER PRIMARY KEY,
    nombre                  TEXT NOT NULL,
    telefono                TEXT UNIQUE,              -- E.164
    email                   TEXT UNIQUE COLLATE NOCASE,
    direccion               TEXT,
    notas                   TEXT,
    etiquetas               TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    consentimiento_marketing INTEGER NOT NULL DEFAULT 0 CHECK (consentimiento_marketing IN (0, 1)),
    canal_adquisicion       TEXT NOT NULL,
    segmento                TEXT NOT NULL DEFAULT 'sin_compras',
    wa_id                   TEXT,
    pedidos_count           INTEGER NOT NULL DEFAULT 0,
    total_gastado           INTEGER NOT NULL DEFAULT 0,
    primer_pedido_en        INTEGER,
    ultimo_pedido_en        INTEGER,
    creado_en               INTEGER NOT NULL,
    actualizado_en          INTEGER NOT NULL
) STRICT;
CREATE INDEX clientes_creado ON clientes (creado_en, id);
CREATE INDEX clientes_segmento ON clientes (segmento, id);
CREATE INDEX clientes_wa_id ON clientes (wa_id) WHERE wa_id IS NOT NULL;

CREATE VIRTUAL TABLE clientes_fts USING fts5 (
    nombre, telefono, email, notas,
    content = 'clientes', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER clientes_fts_ai AFTER INSERT ON clientes BEGIN
    INSERT INTO clientes_fts (rowid, nombre, telefono, email, notas)
    VALUES (new.id, new.nombre, new.telefono, new.email, new.notas);
END;
CREATE TRIGGER clientes_fts_ad AFTER DELETE ON clientes BEGIN
    INSERT INTO clientes_fts (clientes_fts, rowid, nombre, telefono, email, notas)
    VALUES ('delete', old.id, old.nombre, old.telefono, old.email, old.notas);
END;
CREATE TRIGGER clientes_fts_au AFTER UPDATE OF nombre, telefono, email, notas ON clientes BEGIN
    INSERT INTO clientes_fts (clientes_fts, rowid, nombre, telefono, email, notas)
    VALUES ('delete', old.id, old.nombre, old.telefono, old.email, old.notas);
    INSERT INTO clientes_fts (rowid, nombre, telefono, email, notas)
    VALUES (new.id, new.nombre, new.telefono, new.email, new.notas);
END;

CREATE TABLE productos (
    id              INTEGER PRIMARY KEY,
    sku             TEXT NOT NULL UNIQUE,
    nombre          TEXT NOT NULL,
    categoria       TEXT NOT NULL DEFAULT '',
    precio          INTEGER NOT NULL CHECK (precio >= 0),
    costo           INTEGER CHECK (costo IS NULL OR costo >= 0),
    stock           INTEGER CHECK (stock IS NULL OR stock >= 0),  -- NULL: not tracked
    activo          INTEGER NOT NULL DEFAULT 1 CHECK (activo IN (0, 1)),
    atributos       TEXT NOT NULL DEFAULT '{}',                   -- JSON object
    creado_en       INTEGER NOT NULL,
    actualizado_en  INTEGER NOT NULL
) STRICT;
CREATE INDEX productos_categoria ON productos (categoria, nombre);

CREATE TABLE pedidos (
    id              INTEGER PRIMARY KEY,
    cliente_id      INTEGER NOT NULL REFERENCES clientes(id),
    canal           TEXT NOT NULL CHECK (canal IN ('whatsapp', 'web', 'telefono', 'presencial')),
    estado          TEXT NOT NULL,
    subtotal        INTEGER NOT NULL,
    descuento       INTEGER NOT NULL DEFAULT 0,
    total           INTEGER NOT NULL,
    notas           TEXT,
    external_id     TEXT UNIQUE,
    creado_en       INTEGER NOT NULL,
    actualizado_en  INTEGER NOT NULL
) STRICT;
CREATE INDEX pedidos_creado ON pedidos (creado_en, id);
CREATE INDEX pedidos_cliente ON pedidos (cliente_id, creado_en);
CREATE INDEX pedidos_estado ON pedidos (estado, creado_en);

CREATE TABLE pedido_items (
    id              INTEGER PRIMARY KEY,
    pedido_id       INTEGER NOT NULL REFERENCES pedidos(id) ON DELETE CASCADE,
    producto_id     INTEGER REFERENCES productos(id),
    sku             TEXT NOT NULL,
    nombre          TEXT NOT NULL,
    cantidad        INTEGER NOT NULL CHECK (cantidad > 0),
    precio_unitario INTEGER NOT NULL CHECK (precio_unitario >= 0),
    total           INTEGER NOT NULL
) STRICT;
CREATE INDEX pedido_items_pedido ON pedido_items (pedido_id);
CREATE INDEX pedido_items_producto ON pedido_items (producto_id);

CREATE TABLE pedido_estados (
    id              INTEGER PRIMARY KEY,
    pedido_id       INTEGER NOT NULL REFERENCES pedidos(id) ON DELETE CASCADE,
    estado          TEXT NOT NULL,
    anterior        TEXT,
    actor           TEXT NOT NULL,
    nota            TEXT,
    creado_en       INTEGER NOT NULL
) STRICT;
CREATE INDEX pedido_estados_pedido ON pedido_estados (pedido_id, id);

CREATE TABLE interacciones (
    id              INTEGER PRIMARY KEY,
    cliente_id      INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    canal           TEXT NOT NULL,
    direccion       TEXT NOT NULL CHECK (direccion IN ('entrante', 'saliente', 'interna')),
    tipo            TEXT NOT NULL,
    cuerpo          TEXT NOT NULL DEFAULT '',
    external_id     TEXT UNIQUE,
    pedido_id       INTEGER REFERENCES pedidos(id),
    metadatos       TEXT NOT NULL DEFAULT '{}',
    creado_en       INTEGER NOT NULL
) STRICT;
CREATE INDEX interacciones_cliente ON interacciones (cliente_id, creado_en, id);
CREATE INDEX interacciones_creado ON interacciones (creado_en, id);

CREATE VIRTUAL TABLE interacciones_fts USING fts5 (
    cuerpo, content = 'interacciones', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER interacciones_fts_ai AFTER INSERT ON interacciones BEGIN
    INSERT INTO interacciones_fts (rowid, cuerpo) VALUES (new.id, new.cuerpo);
END;
CREATE TRIGGER interacciones_fts_ad AFTER DELETE ON interacciones BEGIN
    INSERT INTO interacciones_fts (interacciones_fts, rowid, cuerpo) VALUES ('delete', old.id, old.cuerpo);
END;
CREATE TRIGGER interacciones_fts_au AFTER UPDATE OF cuerpo ON interacciones BEGIN
    INSERT INTO interacciones_fts (interacciones_fts, rowid, cuerpo) VALUES ('delete', old.id, old.cuerpo);
    INSERT INTO interacciones_fts (rowid, cuerpo) VALUES (new.id, new.cuerpo);
END;

-- The change feed: every insert/update/delete of a business table, in commit order.
-- Readers (mirror, live UI, rollups, outbound webhooks) each keep their own cursor on `seq`.
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tabla       TEXT NOT NULL,
    fila_id     INTEGER NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    en          INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) STRICT;

CREATE TRIGGER clientes_ci AFTER INSERT ON clientes BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('clientes', new.id, 'insert'); END;
CREATE TRIGGER clientes_cu AFTER UPDATE ON clientes BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('clientes', new.id, 'update'); END;
CREATE TRIGGER clientes_cd AFTER DELETE ON clientes BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('clientes', old.id, 'delete'); END;
CREATE TRIGGER productos_ci AFTER INSERT ON productos BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('productos', new.id, 'insert'); END;
CREATE TRIGGER productos_cu AFTER UPDATE ON productos BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('productos', new.id, 'update'); END;
CREATE TRIGGER productos_cd AFTER DELETE ON productos BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('productos', old.id, 'delete'); END;
CREATE TRIGGER pedidos_ci AFTER INSERT ON pedidos BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedidos', new.id, 'insert'); END;
CREATE TRIGGER pedidos_cu AFTER UPDATE ON pedidos BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedidos', new.id, 'update'); END;
CREATE TRIGGER pedidos_cd AFTER DELETE ON pedidos BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedidos', old.id, 'delete'); END;
CREATE TRIGGER pedido_items_ci AFTER INSERT ON pedido_items BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedido_items', new.id, 'insert'); END;
CREATE TRIGGER pedido_items_cu AFTER UPDATE ON pedido_items BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedido_items', new.id, 'update'); END;
CREATE TRIGGER pedido_items_cd AFTER DELETE ON pedido_items BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedido_items', old.id, 'delete'); END;
CREATE TRIGGER pedido_estados_ci AFTER INSERT ON pedido_estados BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedido_estados', new.id, 'insert'); END;
CREATE TRIGGER pedido_estados_cd AFTER DELETE ON pedido_estados BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('pedido_estados', old.id, 'delete'); END;
CREATE TRIGGER interacciones_ci AFTER INSERT ON interacciones BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('interacciones', new.id, 'insert'); END;
CREATE TRIGGER interacciones_cu AFTER UPDATE ON interacciones BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('interacciones', new.id, 'update'); END;
CREATE TRIGGER interacciones_cd AFTER DELETE ON interacciones BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('interacciones', old.id, 'delete'); END;
