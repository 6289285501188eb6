-- Mirrors tenant migrations V9 and V11-V16 (tables fed to `changes` by tenant V17): campaigns
-- and their sends, automation switches, surveys, reminders, loyalty program / rewards / ledger,
-- promotions and discount lines, subscription plans / subscriptions / periods, the impact
-- leaderboard, restock requests, stock movements, warranties, support tickets, segment and
-- consent history; plus the CLV, campaign-results and satisfaction views.
--
-- Same conventions as V1: (site, marca, <SQLite key>) primary key, a one-column `clave`,
-- generated `*_clave` references with deferred foreign keys where the parent is mirrored,
-- money as numeric in major units with `moneda`. Tables keyed otherwise in SQLite keep that
-- key: campana_destinatarios (campana_id, cliente_id), suscripcion_periodos (suscripcion_id,
-- periodo), encuestas (pedido_id), impacto_ranking (cliente_id), automatizaciones (its text
-- key, here `automatizacion`, because `clave` is the mirror's own column; likewise
-- recordatorios.clave is `clave_regla`). Foreign keys only where SQLite enforces one.

CREATE TABLE autonomo.campanas (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo          text GENERATED ALWAYS AS ('cam_' || marca || '_' || id::text) STORED,
    nombre          text NOT NULL,
    tipo            text NOT NULL,
    audiencia       jsonb NOT NULL,
    plantilla       text NOT NULL,
    idioma          text NOT NULL,
    variables       jsonb NOT NULL,
    estado          text NOT NULL,
    programada_para timestamptz,
    lanzada_en      timestamptz,
    destinatarios   bigint NOT NULL,
    creado_por      text NOT NULL,
    creado_en       timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX campanas_creado_en ON autonomo.campanas (site, marca, creado_en);
COMMENT ON TABLE autonomo.campanas IS 'Campañas de WhatsApp (manuales y automáticas) / WhatsApp campaigns (manual and automatic)';
COMMENT ON COLUMN autonomo.campanas.tipo IS 'manual, auto_en_riesgo, auto_perdido, auto_nuevo';
COMMENT ON COLUMN autonomo.campanas.audiencia IS 'Filtro de la audiencia (JSON; siempre con consentimiento) / audience filter (JSON; consent always required)';
COMMENT ON COLUMN autonomo.campanas.plantilla IS 'Plantilla de WhatsApp aprobada / approved WhatsApp template';
COMMENT ON COLUMN autonomo.campanas.variables IS 'Variables del cuerpo en orden (JSON) / body variables in order';
COMMENT ON COLUMN autonomo.campanas.estado IS 'borrador, programada, enviando, enviada, cancelada';
COMMENT ON COLUMN autonomo.campanas.destinatarios IS 'Número de destinatarios / number of recipients';

CREATE TABLE autonomo.campana_destinatarios (
    site            text NOT NULL,
    marca           text NOT NULL,
    campana_id      bigint NOT NULL,
    campana_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || campana_id::text) STORED
                    REFERENCES autonomo.campanas (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    cliente_id      bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || campana_id::text || '/' || cliente_id::text) STORED UNIQUE,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    outbox_id       bigint,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, campana_id, cliente_id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX campana_destinatarios_campana ON autonomo.campana_destinatarios (campana_clave);
CREATE INDEX campana_destinatarios_cliente ON autonomo.campana_destinatarios (cliente_clave);
COMMENT ON TABLE autonomo.campana_destinatarios IS 'Envíos de campañas: un destinatario por campaña y cliente (el estado de entrega queda en el equipo) / campaign sends: one recipient per campaign and customer';
COMMENT ON COLUMN autonomo.campana_destinatarios.outbox_id IS 'Mensaje en la cola de salida del equipo (no replicada) / message in the appliance outbox (not mirrored)';

CREATE TABLE autonomo.automatizaciones (
    site            text NOT NULL,
    marca           text NOT NULL,
    automatizacion  text NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || automatizacion) STORED UNIQUE,
    activa          boolean NOT NULL,
    plantilla       text,
    idioma          text NOT NULL,
    ajustes         jsonb NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, automatizacion),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.automatizaciones IS 'Interruptores de campañas automáticas y encuestas por marca / per-brand switches of automatic campaigns and surveys';
COMMENT ON COLUMN autonomo.automatizaciones.automatizacion IS 'Clave de la automatización en Autónomo (auto_en_riesgo, auto_perdido, auto_nuevo, encuesta) / automation key';
COMMENT ON COLUMN autonomo.automatizaciones.ajustes IS 'Ajustes (JSON) / settings';

CREATE TABLE autonomo.encuestas (
    site            text NOT NULL,
    marca           text NOT NULL,
    pedido_id       bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED UNIQUE,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    estado          text NOT NULL,
    csat            bigint,
    nps             bigint,
    comentario      text,
    enviada_en      timestamptz NOT NULL,
    respondida_en   timestamptz,
    PRIMARY KEY (site, marca, pedido_id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX encuestas_cliente ON autonomo.encuestas (cliente_clave);
CREATE INDEX encuestas_enviada_en ON autonomo.encuestas (site, marca, enviada_en);
COMMENT ON TABLE autonomo.encuestas IS 'Encuestas de satisfacción y sus respuestas, una por pedido entregado / satisfaction surveys and answers, one per delivered order';
COMMENT ON COLUMN autonomo.encuestas.estado IS 'enviada, csat, nps, completa';
COMMENT ON COLUMN autonomo.encuestas.csat IS 'Satisfacción 1-5 / satisfaction 1-5';
COMMENT ON COLUMN autonomo.encuestas.nps IS 'Recomendación 0-10 / likelihood to recommend 0-10';
COMMENT ON COLUMN autonomo.encuestas.comentario IS 'Comentario, seudonimizado salvo include_personal_data / comment, pseudonymised unless allowed';

CREATE TABLE autonomo.recordatorios (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    texto           text NOT NULL,
    vence_en        timestamptz NOT NULL,
    origen          text NOT NULL,
    clave_regla     text,
    creado_por      text NOT NULL,
    hecho_en        timestamptz,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX recordatorios_cliente ON autonomo.recordatorios (cliente_clave);
CREATE INDEX recordatorios_vence_en ON autonomo.recordatorios (site, marca, vence_en);
COMMENT ON TABLE autonomo.recordatorios IS 'Recordatorios de seguimiento para el personal / follow-up reminders for staff';
COMMENT ON COLUMN autonomo.recordatorios.texto IS 'Texto, seudonimizado salvo include_personal_data / text, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.recordatorios.origen IS 'manual, encuesta_baja, encuesta_sin_respuesta, humano_sin_respuesta';
COMMENT ON COLUMN autonomo.recordatorios.clave_regla IS 'Clave que hace que una regla cree el recordatorio una sola vez (clave en Autónomo) / rule key (clave in Autónomo)';

CREATE TABLE autonomo.fidelidad_programa (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    tipo            text NOT NULL,
    monto_por_punto numeric NOT NULL,
    pedido_minimo   numeric NOT NULL,
    moneda          text NOT NULL,
    vigencia_dias   bigint,
    activo          boolean NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.fidelidad_programa IS 'Programa de fidelidad de la marca (puntos o sellos; fila 1) / the brand loyalty program (points or stamps)';
COMMENT ON COLUMN autonomo.fidelidad_programa.tipo IS 'puntos o sellos / points or stamps';
COMMENT ON COLUMN autonomo.fidelidad_programa.monto_por_punto IS 'Gasto que da un punto / spend per point';
COMMENT ON COLUMN autonomo.fidelidad_programa.pedido_minimo IS 'Pedido mínimo para sumar / minimum order to earn';
COMMENT ON COLUMN autonomo.fidelidad_programa.vigencia_dias IS 'Días de vigencia de los puntos (NULL: no vencen) / days points last (NULL: never expire)';
COMMENT ON COLUMN autonomo.fidelidad_programa.moneda IS 'Moneda ISO 4217 de los importes / currency of amounts';

CREATE TABLE autonomo.fidelidad_recompensas (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    nombre          text NOT NULL,
    costo           bigint NOT NULL,
    descuento       numeric NOT NULL,
    moneda          text NOT NULL,
    activo          boolean NOT NULL,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.fidelidad_recompensas IS 'Recompensas canjeables / rewards to redeem';
COMMENT ON COLUMN autonomo.fidelidad_recompensas.costo IS 'Puntos o sellos que cuesta / points or stamps it costs';
COMMENT ON COLUMN autonomo.fidelidad_recompensas.descuento IS 'Descuento que aplica al pedido / discount it takes off an order';
COMMENT ON COLUMN autonomo.fidelidad_recompensas.moneda IS 'Moneda ISO 4217 de los importes / currency of amounts';

CREATE TABLE autonomo.fidelidad_movimientos (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    tipo            text NOT NULL,
    puntos          bigint NOT NULL,
    pedido_id       bigint,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    recompensa_id   bigint,
    recompensa_clave text GENERATED ALWAYS AS (site || '/' || marca || '/' || recompensa_id::text) STORED
                    REFERENCES autonomo.fidelidad_recompensas (clave) DEFERRABLE INITIALLY DEFERRED,
    nota            text,
    vence_en        timestamptz,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX fidelidad_movimientos_cliente_creado_en ON autonomo.fidelidad_movimientos (cliente_clave, creado_en);
CREATE INDEX fidelidad_movimientos_pedido ON autonomo.fidelidad_movimientos (pedido_clave);
COMMENT ON TABLE autonomo.fidelidad_movimientos IS 'Libro de fidelidad (solo se añade): puntos o sellos ganados, canjeados, revertidos / loyalty ledger (append-only)';
COMMENT ON COLUMN autonomo.fidelidad_movimientos.tipo IS 'gana, canje, reverso, ajuste';
COMMENT ON COLUMN autonomo.fidelidad_movimientos.puntos IS 'Puntos o sellos, con signo / points or stamps, signed';
COMMENT ON COLUMN autonomo.fidelidad_movimientos.nota IS 'Nota, seudonimizada salvo include_personal_data / note, pseudonymised unless allowed';

CREATE TABLE autonomo.promociones (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    nombre          text NOT NULL,
    tipo            text NOT NULL,
    porcentaje      bigint NOT NULL,
    producto_id     bigint,
    producto_clave  text GENERATED ALWAYS AS (site || '/' || marca || '/' || producto_id::text) STORED
                    REFERENCES autonomo.productos (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    categoria       text,
    dias            text NOT NULL,
    minuto_desde    bigint NOT NULL,
    minuto_hasta    bigint NOT NULL,
    segmento        text,
    zona_horaria    text NOT NULL,
    activo          boolean NOT NULL,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX promociones_producto ON autonomo.promociones (producto_clave);
COMMENT ON TABLE autonomo.promociones IS 'Reglas de promoción (2x1, porcentaje; días, horas, segmento) / promotion rules';
COMMENT ON COLUMN autonomo.promociones.tipo IS '2x1 o porcentaje';
COMMENT ON COLUMN autonomo.promociones.dias IS 'Días ISO 1 (lunes) a 7, separados por comas; vacío: todos / ISO weekdays, empty: every day';
COMMENT ON COLUMN autonomo.promociones.minuto_desde IS 'Desde el minuto del día local / from minute of local day';
COMMENT ON COLUMN autonomo.promociones.minuto_hasta IS 'Hasta el minuto (excluido) / until minute (excluded)';
COMMENT ON COLUMN autonomo.promociones.segmento IS 'Segmento de clientes (NULL: todos) / customer segment (NULL: all)';

CREATE TABLE autonomo.pedido_descuentos (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    pedido_id       bigint NOT NULL,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    origen          text NOT NULL,
    motivo          text NOT NULL,
    monto           numeric NOT NULL,
    moneda          text NOT NULL,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX pedido_descuentos_pedido ON autonomo.pedido_descuentos (pedido_clave);
COMMENT ON TABLE autonomo.pedido_descuentos IS 'Líneas de descuento de cada pedido (promociones y recompensas) / discount lines of each order';
COMMENT ON COLUMN autonomo.pedido_descuentos.origen IS 'promocion o recompensa';
COMMENT ON COLUMN autonomo.pedido_descuentos.motivo IS 'Motivo impreso en el ticket / reason printed on the receipt';
COMMENT ON COLUMN autonomo.pedido_descuentos.moneda IS 'Moneda ISO 4217 de los importes / currency of amounts';

CREATE TABLE autonomo.suscripcion_planes (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    nombre          text NOT NULL,
    items           jsonb NOT NULL,
    precio          numeric NOT NULL,
    moneda          text NOT NULL,
    periodo         text NOT NULL,
    cada_semanas    bigint NOT NULL,
    activo          boolean NOT NULL,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.suscripcion_planes IS 'Planes de suscripción / subscription plans';
COMMENT ON COLUMN autonomo.suscripcion_planes.items IS 'Productos y cantidades por periodo (JSON) / products and quantities per period';
COMMENT ON COLUMN autonomo.suscripcion_planes.precio IS 'Precio por periodo / price per period';
COMMENT ON COLUMN autonomo.suscripcion_planes.periodo IS 'mensual o semanas';
COMMENT ON COLUMN autonomo.suscripcion_planes.moneda IS 'Moneda ISO 4217 de los importes / currency of amounts';

CREATE TABLE autonomo.suscripciones (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo          text GENERATED ALWAYS AS ('sus_' || marca || '_' || id::text) STORED,
    plan_id         bigint NOT NULL,
    plan_clave      text GENERATED ALWAYS AS (site || '/' || marca || '/' || plan_id::text) STORED
                    REFERENCES autonomo.suscripcion_planes (clave) DEFERRABLE INITIALLY DEFERRED,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    estado          text NOT NULL,
    inicio          timestamptz NOT NULL,
    proximo_periodo bigint NOT NULL,
    creado_en       timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    cancelada_en    timestamptz,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX suscripciones_cliente ON autonomo.suscripciones (cliente_clave);
CREATE INDEX suscripciones_plan ON autonomo.suscripciones (plan_clave);
CREATE INDEX suscripciones_estado ON autonomo.suscripciones (site, marca, estado);
COMMENT ON TABLE autonomo.suscripciones IS 'Suscripciones de clientes / customer subscriptions';
COMMENT ON COLUMN autonomo.suscripciones.estado IS 'activa, pausada, cancelada';
COMMENT ON COLUMN autonomo.suscripciones.inicio IS 'Fecha del periodo 0 / date of period 0';

CREATE TABLE autonomo.suscripcion_periodos (
    site            text NOT NULL,
    marca           text NOT NULL,
    suscripcion_id  bigint NOT NULL,
    suscripcion_clave text GENERATED ALWAYS AS (site || '/' || marca || '/' || suscripcion_id::text) STORED
                    REFERENCES autonomo.suscripciones (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    periodo         bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || suscripcion_id::text || '/' || periodo::text) STORED UNIQUE,
    fecha           timestamptz NOT NULL,
    aviso_en        timestamptz,
    saltado         boolean NOT NULL,
    pedido_id       bigint,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (site, marca, suscripcion_id, periodo),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX suscripcion_periodos_suscripcion ON autonomo.suscripcion_periodos (suscripcion_clave);
CREATE INDEX suscripcion_periodos_pedido ON autonomo.suscripcion_periodos (pedido_clave);
COMMENT ON TABLE autonomo.suscripcion_periodos IS 'Eventos de suscripción: un periodo por suscripción (pedido creado, saltado) / subscription events: one row per period';

CREATE TABLE autonomo.impacto_ranking (
    site            text NOT NULL,
    marca           text NOT NULL,
    cliente_id      bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED UNIQUE,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, cliente_id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.impacto_ranking IS 'Clientes que eligieron aparecer en el ranking de impacto / customers who opted in to the impact leaderboard';

CREATE TABLE autonomo.avisos_reposicion (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) DEFERRABLE INITIALLY DEFERRED,
    producto_id     bigint NOT NULL,
    producto_clave  text GENERATED ALWAYS AS (site || '/' || marca || '/' || producto_id::text) STORED
                    REFERENCES autonomo.productos (clave) DEFERRABLE INITIALLY DEFERRED,
    estado          text NOT NULL,
    origen          text NOT NULL,
    creado_en       timestamptz NOT NULL,
    listo_en        timestamptz,
    enviado_en      timestamptz,
    outbox_id       bigint,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX avisos_reposicion_cliente ON autonomo.avisos_reposicion (cliente_clave);
CREATE INDEX avisos_reposicion_producto ON autonomo.avisos_reposicion (producto_clave);
CREATE INDEX avisos_reposicion_estado ON autonomo.avisos_reposicion (site, marca, estado);
COMMENT ON TABLE autonomo.avisos_reposicion IS 'Pedidos de aviso de reposición / restock requests';
COMMENT ON COLUMN autonomo.avisos_reposicion.estado IS 'esperando, listo, enviado, cancelado';
COMMENT ON COLUMN autonomo.avisos_reposicion.origen IS 'whatsapp o personal';
COMMENT ON COLUMN autonomo.avisos_reposicion.outbox_id IS 'Mensaje en la cola de salida del equipo (no replicada) / appliance outbox message (not mirrored)';

CREATE TABLE autonomo.movimientos_stock (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    producto_id     bigint NOT NULL,
    producto_clave  text GENERATED ALWAYS AS (site || '/' || marca || '/' || producto_id::text) STORED
                    REFERENCES autonomo.productos (clave) DEFERRABLE INITIALLY DEFERRED,
    delta           bigint NOT NULL,
    stock_resultante bigint NOT NULL,
    tipo            text NOT NULL,
    pedido_id       bigint,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX movimientos_stock_producto_creado_en ON autonomo.movimientos_stock (producto_clave, creado_en);
CREATE INDEX movimientos_stock_creado_en ON autonomo.movimientos_stock (site, marca, creado_en);
COMMENT ON TABLE autonomo.movimientos_stock IS 'Movimientos de stock: venta, devolución, ajuste, ingreso / stock movements ledger';
COMMENT ON COLUMN autonomo.movimientos_stock.delta IS 'Unidades (+ entra, - sale) / units (+ in, - out)';
COMMENT ON COLUMN autonomo.movimientos_stock.tipo IS 'venta, devolucion, ajuste, ingreso';
COMMENT ON COLUMN autonomo.movimientos_stock.pedido_id IS 'Pedido de una venta o devolución (sin clave foránea: el pedido puede borrarse) / order of a sale or return';

CREATE TABLE autonomo.garantias (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) DEFERRABLE INITIALLY DEFERRED,
    pedido_id       bigint NOT NULL,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) DEFERRABLE INITIALLY DEFERRED,
    pedido_item_id  bigint NOT NULL,
    pedido_item_clave text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_item_id::text) STORED
                    REFERENCES autonomo.pedido_items (clave) DEFERRABLE INITIALLY DEFERRED,
    producto_id     bigint,
    producto_clave  text GENERATED ALWAYS AS (site || '/' || marca || '/' || producto_id::text) STORED
                    REFERENCES autonomo.productos (clave) DEFERRABLE INITIALLY DEFERRED,
    nombre          text NOT NULL,
    meses           bigint NOT NULL,
    inicio_en       timestamptz NOT NULL,
    vence_en        timestamptz NOT NULL,
    recordado_en    timestamptz,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX garantias_cliente ON autonomo.garantias (cliente_clave);
CREATE INDEX garantias_pedido ON autonomo.garantias (pedido_clave);
CREATE INDEX garantias_vence_en ON autonomo.garantias (site, marca, vence_en);
COMMENT ON TABLE autonomo.garantias IS 'Garantías de líneas de pedido entregadas / warranties of delivered order lines';
COMMENT ON COLUMN autonomo.garantias.recordado_en IS 'Aviso de vencimiento enviado / expiry reminder queued';

CREATE TABLE autonomo.tickets_soporte (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    codigo          text GENERATED ALWAYS AS ('tic_' || marca || '_' || id::text) STORED,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) DEFERRABLE INITIALLY DEFERRED,
    pedido_id       bigint,
    pedido_clave    text GENERATED ALWAYS AS (site || '/' || marca || '/' || pedido_id::text) STORED
                    REFERENCES autonomo.pedidos (clave) DEFERRABLE INITIALLY DEFERRED,
    garantia_id     bigint,
    garantia_clave  text GENERATED ALWAYS AS (site || '/' || marca || '/' || garantia_id::text) STORED
                    REFERENCES autonomo.garantias (clave) DEFERRABLE INITIALLY DEFERRED,
    asunto          text NOT NULL,
    detalle         text NOT NULL,
    estado          text NOT NULL,
    prioridad       text NOT NULL,
    origen          text NOT NULL,
    creado_en       timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX tickets_soporte_cliente ON autonomo.tickets_soporte (cliente_clave);
CREATE INDEX tickets_soporte_estado ON autonomo.tickets_soporte (site, marca, estado);
COMMENT ON TABLE autonomo.tickets_soporte IS 'Tickets de soporte / support tickets';
COMMENT ON COLUMN autonomo.tickets_soporte.asunto IS 'Asunto, seudonimizado salvo include_personal_data / subject, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.tickets_soporte.detalle IS 'Detalle, seudonimizado salvo include_personal_data / detail, pseudonymised unless allowed';
COMMENT ON COLUMN autonomo.tickets_soporte.estado IS 'abierto, en_proceso, resuelto, cerrado';
COMMENT ON COLUMN autonomo.tickets_soporte.prioridad IS 'baja, media, alta';
COMMENT ON COLUMN autonomo.tickets_soporte.origen IS 'whatsapp o personal';

CREATE TABLE autonomo.segmento_cambios (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    desde           text,
    hacia           text NOT NULL,
    en              timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX segmento_cambios_cliente_en ON autonomo.segmento_cambios (cliente_clave, en);
CREATE INDEX segmento_cambios_hacia_en ON autonomo.segmento_cambios (site, marca, hacia, en);
COMMENT ON TABLE autonomo.segmento_cambios IS 'Historial de segmentos (p. ej. pasó a VIP) / segment history';
COMMENT ON COLUMN autonomo.segmento_cambios.desde IS 'Segmento anterior (NULL: primera clasificación) / previous segment';

CREATE TABLE autonomo.consentimientos (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    valor           boolean NOT NULL,
    fuente          text NOT NULL,
    en              timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX consentimientos_cliente_en ON autonomo.consentimientos (cliente_clave, en);
COMMENT ON TABLE autonomo.consentimientos IS 'Historial del consentimiento de marketing / marketing consent history';
COMMENT ON COLUMN autonomo.consentimientos.fuente IS 'Quién lo cambió (user:n, token:n, whatsapp, …) / who changed it';

-- Historical customer lifetime value: what each customer with orders (not cancelled) has
-- spent, over how many months (brand time zone, first to last order, inclusive), and that
-- monthly value over 12 months. The churn-adjusted prediction stays in Autónomo (analytics).
CREATE VIEW autonomo.v_clv AS
WITH p AS (
    SELECT p.site, p.marca, p.cliente_id, p.cliente_clave, p.total, p.moneda, p.creado_en,
           date_trunc('month', p.creado_en AT TIME ZONE m.zona_horaria)::date AS mes
    FROM autonomo.pedidos p
    JOIN autonomo.marcas m ON m.site = p.site AND m.marca = p.marca
    WHERE p.estado <> 'cancelado'
), c AS (
    SELECT site, marca, cliente_id, cliente_clave, min(moneda) AS moneda,
           count(*) AS pedidos, sum(total) AS ingresos,
           min(creado_en) AS primer_pedido_en, max(creado_en) AS ultimo_pedido_en,
           ((extract(year FROM max(mes)) - extract(year FROM min(mes))) * 12
             + extract(month FROM max(mes)) - extract(month FROM min(mes)))::int + 1 AS meses_activo
    FROM p GROUP BY 1, 2, 3, 4
)
SELECT c.site, c.marca, c.cliente_id, c.cliente_clave, k.nombre, c.moneda, c.pedidos, c.ingresos,
       round(c.ingresos / c.pedidos, 2) AS ticket_promedio,
       c.primer_pedido_en, c.ultimo_pedido_en, c.meses_activo,
       round(c.ingresos / c.meses_activo, 2) AS valor_mensual,
       round(12 * c.ingresos / c.meses_activo, 2) AS clv_12m
FROM c
JOIN autonomo.clientes k ON k.clave = c.cliente_clave;
COMMENT ON VIEW autonomo.v_clv IS 'Valor de vida histórico por cliente: pedidos, ingresos, ticket promedio, meses activo, valor mensual y proyección a 12 meses / historical customer lifetime value';

-- Campaign results: recipients, and how many of them ordered (not cancelled) within 7 days of
-- the launch, with those orders' revenue.
CREATE VIEW autonomo.v_campanas_resultados AS
WITH d AS (
    SELECT d.site, d.marca, d.campana_id, d.cliente_id, c.lanzada_en
    FROM autonomo.campana_destinatarios d
    JOIN autonomo.campanas c ON c.clave = d.campana_clave
), compras AS (
    SELECT d.site, d.marca, d.campana_id,
           count(DISTINCT d.cliente_id) AS clientes_que_compraron,
           count(p.id) AS pedidos, sum(p.total) AS ingresos
    FROM d
    JOIN autonomo.pedidos p ON p.site = d.site AND p.marca = d.marca AND p.cliente_id = d.cliente_id
     AND p.estado <> 'cancelado' AND d.lanzada_en IS NOT NULL
     AND p.creado_en >= d.lanzada_en AND p.creado_en < d.lanzada_en + interval '7 days'
    GROUP BY 1, 2, 3
), envios AS (
    SELECT site, marca, campana_id, count(*) AS enviados FROM d GROUP BY 1, 2, 3
)
SELECT c.site, c.marca, c.id AS campana_id, c.clave AS campana_clave, c.nombre, c.tipo, c.estado,
       c.lanzada_en, m.moneda,
       coalesce(e.enviados, 0) AS enviados,
       coalesce(k.clientes_que_compraron, 0) AS clientes_que_compraron,
       CASE WHEN coalesce(e.enviados, 0) > 0
            THEN round(coalesce(k.clientes_que_compraron, 0)::numeric / e.enviados, 4) END AS conversion,
       coalesce(k.pedidos, 0) AS pedidos,
       coalesce(k.ingresos, 0) AS ingresos
FROM autonomo.campanas c
JOIN autonomo.marcas m ON m.site = c.site AND m.marca = c.marca
LEFT JOIN envios e ON e.site = c.site AND e.marca = c.marca AND e.campana_id = c.id
LEFT JOIN compras k ON k.site = c.site AND k.marca = c.marca AND k.campana_id = c.id;
COMMENT ON VIEW autonomo.v_campanas_resultados IS 'Resultados por campaña: enviados, clientes que compraron en 7 días, conversión, pedidos e ingresos / campaign results (orders within 7 days of launch)';

-- Satisfaction per brand and month (brand time zone) of sending: surveys sent and answered,
-- average CSAT, and NPS (% promoters 9-10 minus % detractors 0-6 among NPS answers).
CREATE VIEW autonomo.v_satisfaccion AS
SELECT e.site, e.marca, date_trunc('month', e.enviada_en AT TIME ZONE m.zona_horaria)::date AS mes,
       count(*) AS enviadas,
       count(*) FILTER (WHERE e.respondida_en IS NOT NULL) AS respondidas,
       round(avg(e.csat), 2) AS csat_promedio,
       count(e.nps) AS respuestas_nps,
       CASE WHEN count(e.nps) > 0 THEN round(100.0 * (count(*) FILTER (WHERE e.nps >= 9)
            - count(*) FILTER (WHERE e.nps <= 6)) / count(e.nps), 1) END AS nps
FROM autonomo.encuestas e
JOIN autonomo.marcas m ON m.site = e.site AND m.marca = e.marca
GROUP BY 1, 2, 3;
COMMENT ON VIEW autonomo.v_satisfaccion IS 'Satisfacción por marca y mes: encuestas enviadas y respondidas, CSAT promedio, NPS / satisfaction per brand and month';
