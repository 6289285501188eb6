-- Encryption at rest of personal fields (docs/security.md, "Encryption at rest").
-- telefono, email, direccion, notas of clientes, interaction bodies, inbox previews, outbox
-- payloads and raw webhook bodies are stored sealed (`enc1:<key id>:…`) by the application;
-- existing clear values are sealed by the application on the first open after this migration
-- (`crypto::sealing`), because SQL cannot encrypt. Lookups by phone and e-mail use keyed
-- blind indexes (HMAC) instead of the clear columns.

ALTER TABLE clientes ADD COLUMN telefono_bi TEXT;
ALTER TABLE clientes ADD COLUMN email_bi TEXT;
CREATE UNIQUE INDEX clientes_telefono_bi ON clientes (telefono_bi);
CREATE UNIQUE INDEX clientes_email_bi ON clientes (email_bi);

-- Name search only: a sealed phone, e-mail or note in a full-text index would be its
-- plaintext again. Phones and e-mails are found through the blind indexes.
DROP TRIGGER clientes_fts_ai;
DROP TRIGGER clientes_fts_ad;
DROP TRIGGER clientes_fts_au;
DROP TABLE clientes_fts;
CREATE VIRTUAL TABLE clientes_fts USING fts5 (
    nombre,
    content = 'clientes', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO clientes_fts (clientes_fts) VALUES ('rebuild');
CREATE TRIGGER clientes_fts_ai AFTER INSERT ON clientes BEGIN
    INSERT INTO clientes_fts (rowid, nombre) VALUES (new.id, new.nombre);
END;
CREATE TRIGGER clientes_fts_ad AFTER DELETE ON clientes BEGIN
    INSERT INTO clientes_fts (clientes_fts, rowid, nombre) VALUES ('delete', old.id, old.nombre);
END;
CREATE TRIGGER clientes_fts_au AFTER UPDATE OF nombre ON clientes BEGIN
    INSERT INTO clientes_fts (clientes_fts, rowid, nombre) VALUES ('delete', old.id, old.nombre);
    INSERT INTO clientes_fts (rowid, nombre) VALUES (new.id, new.nombre);
END;

-- Interaction bodies are sealed: their full-text index goes (search decrypts instead).
DROP TRIGGER interacciones_fts_ai;
DROP TRIGGER interacciones_fts_ad;
DROP TRIGGER interacciones_fts_au;
DROP TABLE interacciones_fts;

-- Which keys this brand's data belongs to, without holding any key: a blind index of a
-- constant (so a start with the wrong key file is refused before anything is written) and
-- whether the one-time sealing of values written before this migration has finished.
CREATE TABLE cifrado (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    control_indice  TEXT NOT NULL,
    sellado_en      INTEGER
) STRICT;
