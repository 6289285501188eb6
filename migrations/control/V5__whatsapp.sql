-- WhatsApp Business numbers: which brand owns each phone_number_id, and its credentials.
-- Secrets (app secret, access token, verify token) are sealed with the install's master key;
-- the verify token also has a blind index so the GET handshake can find its brand.

CREATE TABLE whatsapp_numeros (
    phone_number_id     TEXT PRIMARY KEY,
    marca               TEXT NOT NULL UNIQUE REFERENCES marcas(slug),
    waba_id             TEXT,
    verify_token        TEXT NOT NULL,          -- sealed
    verify_token_indice TEXT NOT NULL,          -- blind index of the verify token
    app_secret          TEXT NOT NULL,          -- sealed
    access_token        TEXT NOT NULL,          -- sealed
    mps                 INTEGER NOT NULL DEFAULT 80 CHECK (mps > 0),
    creado_en           INTEGER NOT NULL,
    actualizado_en      INTEGER NOT NULL
) STRICT;
CREATE INDEX whatsapp_numeros_token ON whatsapp_numeros (verify_token_indice);

-- Signed webhook items for numbers no brand owns: kept for the operator, answered 200.
CREATE TABLE whatsapp_desconocidos (
    id              INTEGER PRIMARY KEY,
    phone_number_id TEXT NOT NULL,
    cuerpo          BLOB NOT NULL,
    recibido_en     INTEGER NOT NULL
) STRICT;
