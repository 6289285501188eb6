-- Staff accounts, their brands, and login sessions.

CREATE TABLE usuarios (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
    nombre          TEXT NOT NULL DEFAULT '',
    hash_clave      TEXT NOT NULL,           -- argon2id PHC string
    rol             TEXT NOT NULL CHECK (rol IN ('owner', 'manager', 'staff', 'analyst')),
    idioma          TEXT NOT NULL DEFAULT 'es' CHECK (idioma IN ('es', 'en')),
    activo          INTEGER NOT NULL DEFAULT 1 CHECK (activo IN (0, 1)),
    creado_en       INTEGER NOT NULL,
    actualizado_en  INTEGER NOT NULL
) STRICT;

-- The brands a non-owner works in. Owners reach every brand and have no rows here.
CREATE TABLE usuario_marcas (
    usuario_id      INTEGER NOT NULL REFERENCES usuarios(id) ON DELETE CASCADE,
    marca           TEXT NOT NULL REFERENCES marcas(slug),
    PRIMARY KEY (usuario_id, marca)
) STRICT, WITHOUT ROWID;

CREATE TABLE sesiones (
    hash            BLOB PRIMARY KEY,        -- SHA-256 of the cookie value; the value is never stored
    usuario_id      INTEGER NOT NULL REFERENCES usuarios(id) ON DELETE CASCADE,
    csrf            TEXT NOT NULL,           -- synchronizer token for this session's forms
    creado_en       INTEGER NOT NULL,
    usado_en        INTEGER NOT NULL,        -- refreshed at most every few minutes (idle expiry)
    expira_en       INTEGER NOT NULL         -- absolute expiry
) STRICT, WITHOUT ROWID;
CREATE INDEX sesiones_usuario ON sesiones (usuario_id);
CREATE INDEX sesiones_expira ON sesiones (expira_en);
