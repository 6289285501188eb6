-- Control database: the brands of this install, API tokens and scheduled jobs.

CREATE TABLE marcas (
    slug            TEXT PRIMARY KEY,
    nombre          TEXT NOT NULL,
    moneda          TEXT NOT NULL,           -- ISO 4217
    zona_horaria    TEXT NOT NULL,           -- IANA
    pais            TEXT NOT NULL,           -- ISO 3166-1 alpha-2, default for phone numbers
    idioma          TEXT NOT NULL,           -- es | en
    configuracion   TEXT NOT NULL DEFAULT '{}',
    archivada_en    INTEGER,                 -- unix ms UTC; NULL while active
    creado_en       INTEGER NOT NULL,
    actualizado_en  INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    hash            BLOB NOT NULL UNIQUE,    -- SHA-256 of the token; the token itself is never stored
    marca           TEXT REFERENCES marcas(slug),  -- NULL: every brand (owner token)
    alcance         TEXT NOT NULL CHECK (alcance IN ('read', 'write', 'admin')),
    etiqueta        TEXT NOT NULL DEFAULT '',
    creado_en       INTEGER NOT NULL,
    revocado_en     INTEGER
) STRICT;
