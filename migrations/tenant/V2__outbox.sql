-- The outbox: every message to the outside world (WhatsApp, Telegram, e-mail, outbound
-- webhooks) is written here in the same transaction as the change that caused it, then
-- delivered by a worker with retries, backoff and rate limits.

CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    servicio            TEXT NOT NULL CHECK (servicio IN ('whatsapp', 'telegram', 'email', 'webhook')),
    destino             TEXT NOT NULL,              -- wa_id / chat id / address / URL
    cuerpo              TEXT NOT NULL,              -- JSON payload for the service
    clave               TEXT UNIQUE,                -- idempotency key: the same cause enqueues once
    estado              TEXT NOT NULL DEFAULT 'pendiente'
                        CHECK (estado IN ('pendiente', 'enviando', 'enviado', 'fallido', 'cancelado')),
    intentos            INTEGER NOT NULL DEFAULT 0,
    proximo_intento_en  INTEGER NOT NULL,           -- unix ms; for 'enviando' the end of the lease
    ultimo_error        TEXT,
    external_id         TEXT,                       -- the provider's id once accepted (wamid…)
    cliente_id          INTEGER REFERENCES clientes(id) ON DELETE SET NULL,
    creado_en           INTEGER NOT NULL,
    enviado_en          INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (proximo_intento_en) WHERE estado IN ('pendiente', 'enviando');
CREATE INDEX outbox_external ON outbox (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX outbox_cliente ON outbox (cliente_id, creado_en);

CREATE TRIGGER outbox_ci AFTER INSERT ON outbox BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('outbox', new.id, 'insert'); END;
CREATE TRIGGER outbox_cu AFTER UPDATE ON outbox BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('outbox', new.id, 'update'); END;
CREATE TRIGGER outbox_cd AFTER DELETE ON outbox BEGIN INSERT INTO changes (tabla, fila_id, op) VALUES ('outbox', old.id, 'delete'); END;
