-- Education series (tenant V19): series, their steps, each customer's enrolment and every
-- step sent with the reply it got. Keys and foreign keys follow V4.

CREATE TABLE autonomo.series_educativas (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    nombre          text NOT NULL,
    descripcion     text NOT NULL,
    activa          boolean NOT NULL,
    auto_inscribir  boolean NOT NULL,
    creado_en       timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.series_educativas IS 'Series educativas: secuencias de mensajes a clientes con consentimiento / education series sent to opted-in customers';
COMMENT ON COLUMN autonomo.series_educativas.auto_inscribir IS 'Inscribe sola a todo cliente con consentimiento / enrols every opted-in customer by itself';

CREATE TABLE autonomo.series_pasos (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    serie_id        bigint NOT NULL,
    serie_clave     text GENERATED ALWAYS AS (site || '/' || marca || '/' || serie_id::text) STORED
                    REFERENCES autonomo.series_educativas (clave) DEFERRABLE INITIALLY DEFERRED,
    orden           bigint NOT NULL,
    dias            bigint NOT NULL,
    plantilla       text,
    idioma          text NOT NULL,
    texto           text NOT NULL,
    creado_en       timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX series_pasos_serie ON autonomo.series_pasos (serie_clave, orden);
COMMENT ON TABLE autonomo.series_pasos IS 'Pasos de una serie / steps of a series';
COMMENT ON COLUMN autonomo.series_pasos.dias IS 'Días tras el paso anterior (tras la inscripción el primero) / days after the previous step';
COMMENT ON COLUMN autonomo.series_pasos.plantilla IS 'Plantilla aprobada fuera de la ventana de 24 h / approved template used outside the 24-hour window';

CREATE TABLE autonomo.series_inscripciones (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    serie_id        bigint NOT NULL,
    serie_clave     text GENERATED ALWAYS AS (site || '/' || marca || '/' || serie_id::text) STORED
                    REFERENCES autonomo.series_educativas (clave) DEFERRABLE INITIALLY DEFERRED,
    cliente_id      bigint NOT NULL,
    cliente_clave   text GENERATED ALWAYS AS (site || '/' || marca || '/' || cliente_id::text) STORED
                    REFERENCES autonomo.clientes (clave) DEFERRABLE INITIALLY DEFERRED,
    estado          text NOT NULL,
    pasos_enviados  bigint NOT NULL,
    proximo_en      timestamptz NOT NULL,
    origen          text NOT NULL,
    inscrito_en     timestamptz NOT NULL,
    actualizado_en  timestamptz NOT NULL,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX series_inscripciones_serie ON autonomo.series_inscripciones (serie_clave, estado);
CREATE INDEX series_inscripciones_cliente ON autonomo.series_inscripciones (cliente_clave);
COMMENT ON TABLE autonomo.series_inscripciones IS 'Progreso de cada cliente en una serie / each customer''s progress in a series';
COMMENT ON COLUMN autonomo.series_inscripciones.estado IS 'activa, completada o baja / active, completed or removed';

CREATE TABLE autonomo.series_envios (
    site            text NOT NULL,
    marca           text NOT NULL,
    id              bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || id::text) STORED UNIQUE,
    inscripcion_id  bigint NOT NULL,
    inscripcion_clave text GENERATED ALWAYS AS (site || '/' || marca || '/' || inscripcion_id::text) STORED
                    REFERENCES autonomo.series_inscripciones (clave) DEFERRABLE INITIALLY DEFERRED,
    paso_id         bigint NOT NULL,
    paso_clave      text GENERATED ALWAYS AS (site || '/' || marca || '/' || paso_id::text) STORED
                    REFERENCES autonomo.series_pasos (clave) DEFERRABLE INITIALLY DEFERRED,
    outbox_id       bigint,
    enviado_en      timestamptz NOT NULL,
    respuesta_interaccion_id bigint,
    respuesta_interaccion_clave text GENERATED ALWAYS AS (site || '/' || marca || '/' || respuesta_interaccion_id::text) STORED
                    REFERENCES autonomo.interacciones (clave) DEFERRABLE INITIALLY DEFERRED,
    respondido_en   timestamptz,
    PRIMARY KEY (site, marca, id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX series_envios_inscripcion ON autonomo.series_envios (inscripcion_clave);
COMMENT ON TABLE autonomo.series_envios IS 'Cada paso enviado y la respuesta del cliente / every step sent and the customer''s reply';
COMMENT ON COLUMN autonomo.series_envios.respuesta_interaccion_id IS 'Mensaje del cliente en los 7 días siguientes / the customer''s message within 7 days';
