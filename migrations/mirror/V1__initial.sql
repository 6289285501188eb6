-- The Postgres mirror of every brand of every appliance (site). Written only by
-- `autonomo mirror`; read by NocoDB, Metabase and the central office.
--
-- Keys: every row is identified by (site, marca, id), the id being the row's id in the brand's
-- SQLite file. Because BI tools join on one column, each table also has `clave`
-- ('site/marca/id', unique) and each reference a generated `*_clave` column with a one-column
-- foreign key. Foreign keys are DEFERRABLE INITIALLY DEFERRED: a sync batch is checked as a
-- whole at commit, when it equals one point of the brand's change feed.

CREATE SCHEMA IF NOT EXISTS autonomo;
COMMENT ON SCHEMA autonomo IS 'Espejo de Autónomo (solo lectura para herramientas) / Autónomo mirror (read-only for tools)';

CREATE TABLE autonomo.marcas (
    site            text NOT NULL,
    marca           text NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca) STORED UNIQUE,
    nombre          text NOT NULL,
    moneda          text NOT NULL,
    zona_horaria    text NOT NULL,
    pais            text NOT NULL,
    idioma          text NOT NULL,
    archivada_en    timestamptz,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca)
);
COMMENT ON TABLE autonomo.marcas IS 'Marcas de cada sitio / brands of each site (appliance)';
COMMENT ON COLUMN autonomo.marcas.site IS 'Sitio (equipo) de origen / source appliance id';
COMMENT ON COLUMN autonomo.marcas.marca IS 'Identificador de la marca / brand slug';
COMMENT ON COLUMN autonomo.marcas.clave IS 'Clave única site/marca / unique key';
COMMENT ON COLUMN autonomo.marcas.moneda IS 'Moneda ISO 4217 de los importes / currency of amounts';
COMMENT ON COLUMN autonomo.marcas.zona_horaria IS 'Zona horaria IANA de la marca / brand time zone';
COMMENT ON COLUMN autonomo.marcas.archivada_en IS 'Archivada (solo lectura) desde / archived since';

CREATE TABLE autonomo.clientes (
    site                     text NOT NULL,
    marca                    text NOT NULL,
    id                       bigint NOT NULL,
    clave                    text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo                   text GENERATED ALWAYS AS ('cli_' || marca || '_' || id::text) STORED,
    nombre                   text NOT NULL,
    telefono                 text,
    email                    text,
    direccion                text,
    notas                    text,
    etiquetas                jsonb NOT NULL,
    consentimiento_marketing boolean NOT NULL,
    canal_adquisicion        text NOT NULL,
    segmento                 text NOT NULL,
    wa_id                    text,
    pedidos_count            bigint NOT NULL,
    total_gastado            numeric NOT NULL,
    moneda                   text NOT NULL,
    primer_pedido_en         timestamptz,
    ultimo_pedido_en         timestamptz,
    creado_en                timestamptz NOT NULL,
    actualizado_en           timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX clientes_creado ON autonomo.clientes (site, marca, creado_en);
CREATE INDEX clientes_telefono ON autonomo.clientes (telefono);
CREATE INDEX clientes_email ON autonomo.clientes (email);
COMMENT ON TABLE autonomo.clientes IS 'Clientes / customers';
COMMENT ON COLUMN autonomo.clientes.codigo IS 'Id público en Autónomo (cli_marca_n) / public id in Autónomo';
COMMENT ON COLUMN autonomo.clientes.telefono IS 'Teléfono E.164, seudonimizado salvo include_personal_data / phone, pseudonymised unless include_personal_data';
COMMENT ON COLUMN autonomo.clientes.email IS 'Correo, seudonimizado salvo include_personal_data / e-mail, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.clientes.direccion IS 'Dirección, seudonimizada salvo include_personal_data / address, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.clientes.notas IS 'Notas, seudonimizadas salvo include_personal_data / notes, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.clientes.wa_id IS 'Id de WhatsApp, seudonimizado salvo include_personal_data / WhatsApp id, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.clientes.etiquetas IS 'Etiquetas (arreglo JSON) / tags (JSON array)';
COMMENT ON COLUMN autonomo.clientes.segmento IS 'Segmento calculado por Autónomo / segment computed by Autónomo';
COMMENT ON COLUMN autonomo.clientes.pedidos_count IS 'Pedidos no cancelados / orders not cancelled';
COMMENT ON COLUMN autonomo.clientes.total_gastado IS 'Total gastado en la moneda de la marca / total spent in the brand currency';

CREATE TABLE autonomo.productos (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo          text GENERATED ALWAYS AS ('pro_' || marca || '_' || id::text) STORED,
    sku             text NOT NULL,
    nombre          text NOT NULL,
    categoria       text NOT NULL,
    precio          numeric NOT NULL,
    costo           numeric,
    moneda          text NOT NULL,
    stock           bigint,
    activo          boolean NOT NULL,
    atributos       jsonb NOT NULL,
    creado_en       timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX productos_categoria ON autonomo.productos (site, marca, categoria);
COMMENT ON TABLE autonomo.productos IS 'Catálogo de productos / product catalogue';
COMMENT ON COLUMN autonomo.productos.stock IS 'Existencias; NULL = no se controlan / stock; NULL = not tracked';
COMMENT ON COLUMN autonomo.productos.atributos IS 'Atributos propios de la marca (JSON) / brand-specific attributes';

CREATE TABLE autonomo.pedidos (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo          text GENERATED ALWAYS AS ('ped_' || marca || '_' || id::text) STORED,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) DEFERRABLE INITIALLY DEFERRED,
    canal           text NOT NULL,
    estado          text NOT NULL,
    subtotal        numeric NOT NULL,
    descuento       numeric NOT NULL,
    total           numeric NOT NULL,
    moneda          text NOT NULL,
    notas           text,
    external_id     text,
    creado_en       timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX pedidos_creado ON autonomo.pedidos (site, marca, creado_en);
CREATE INDEX pedidos_cliente ON autonomo.pedidos (cliente_clave);
CREATE INDEX pedidos_estado ON autonomo.pedidos (site, marca, estado);
COMMENT ON TABLE autonomo.pedidos IS 'Pedidos / orders';
COMMENT ON COLUMN autonomo.pedidos.estado IS 'recibido, confirmado, en_preparacion, listo, en_camino, entregado, cancelado';
COMMENT ON COLUMN autonomo.pedidos.canal IS 'whatsapp, web, telefono, presencial';
COMMENT ON COLUMN autonomo.pedidos.notas IS 'Notas, seudonimizadas salvo include_personal_data / notes, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.pedidos.total IS 'Total del pedido en la moneda de la marca / order total in the brand currency';

CREATE TABLE autonomo.pedido_items (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    pedido_id       bigint NOT NULL,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    producto_id     bigint,
    producto_clave  text GENERATED ALWAYS AS (site || '/' || marca || '/' || producto_id::text) STORED
                    REFERENCES autonomo.productos (clave) DEFERRABLE INITIALLY DEFERRED,
    sku             text NOT NULL,
    nombre          text NOT NULL,
    cantidad        bigint NOT NULL,
    precio_unitario numeric NOT NULL,
    total           numeric NOT NULL,
    moneda          text NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX pedido_items_pedido ON autonomo.pedido_items (pedido_clave);
CREATE INDEX pedido_items_producto ON autonomo.pedido_items (producto_clave);
COMMENT ON TABLE autonomo.pedido_items IS 'Líneas de pedido (precio copiado al pedir) / order lines (price copied when ordered)';

CREATE TABLE autonomo.pedido_estados (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    pedido_id       bigint NOT NULL,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    estado          text NOT NULL,
    anterior        text,
    actor           text NOT NULL,
    nota            text,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX pedido_estados_pedido ON autonomo.pedido_estados (pedido_clave, creado_en);
COMMENT ON TABLE autonomo.pedido_estados IS 'Historial de estados de cada pedido / status history of each order';
COMMENT ON COLUMN autonomo.pedido_estados.nota IS 'Nota, seudonimizada salvo include_personal_data / note, pseudonymised unless allowed';

CREATE TABLE autonomo.interacciones (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo          text GENERATED ALWAYS AS ('int_' || marca || '_' || id::text) STORED,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    canal           text NOT NULL,
    direccion       text NOT NULL,
    tipo            text NOT NULL,
    cuerpo          text NOT NULL,
    external_id     text,
    pedido_id       bigint,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) DEFERRABLE INITIALLY DEFERRED,
    metadatos       jsonb NOT NULL,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX interacciones_cliente ON autonomo.interacciones (cliente_clave, creado_en);
CREATE INDEX interacciones_pedido ON autonomo.interacciones (pedido_clave);
CREATE INDEX interacciones_creado ON autonomo.interacciones (site, marca, creado_en);
COMMENT ON TABLE autonomo.interacciones IS 'Mensajes, llamadas y notas con cada cliente / messages, calls and notes with each customer';
COMMENT ON COLUMN autonomo.interacciones.direccion IS 'entrante, saliente o interna / inbound, outbound or internal';
COMMENT ON COLUMN autonomo.interacciones.cuerpo IS 'Texto, seudonimizado salvo include_personal_data / body, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.interacciones.metadatos IS 'Metadatos del canal (JSON), seudonimizados salvo include_personal_data / channel metadata, pseudonymised unless allowed';

-- Where each (site, brand) stands in its change feed. Written in the same transaction as the
-- rows it covers, so a crash on either side neither loses nor repeats a change.
CREATE TABLE autonomo.sincronizacion (
    site             text NOT NULL,
    marca            text NOT NULL,
    seq              bigint,
    copia_completa_en timestamptz,
    sincronizado_en  timestamptz,
    cambios_aplicados bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (site, marca)
);
COMMENT ON TABLE autonomo.sincronizacion IS 'Cursor del espejo por sitio y marca / mirror cursor per site and brand';
COMMENT ON COLUMN autonomo.sincronizacion.seq IS 'Último changes.seq de SQLite aplicado (NULL: falta la copia completa) / last applied SQLite changes.seq';
