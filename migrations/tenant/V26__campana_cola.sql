-- Campaign launches no longer queue every message in the request's one write. The launch
-- freezes the audience here (consent checked), one row per recipient, `pendiente`; the
-- campaign sender (src/campaigns/sender.rs) then queues their WhatsApp messages in bounded
-- batches, each batch one write that marks its rows `encolado` (and writes their outbox and
-- campana_destinatarios rows) or `omitido` with the reason (an opt-out that arrived before the
-- batch, a cancelled campaign). A crash half-way leaves the rest `pendiente` for the next
-- start. The results read the state from here instead of inferring "sent" from a missing
-- outbox row, which the 90-day clean-up deletes. Delivery bookkeeping like wa_salientes: not
-- in the change feed, not mirrored (campana_destinatarios, the sends, is).

CREATE TABLE campana_cola (
    campana_id          INTEGER NOT NULL REFERENCES campanas(id) ON DELETE CASCADE,
    cliente_id          INTEGER NOT NULL REFERENCES clientes(id) ON DELETE CASCADE,
    estado              TEXT NOT NULL DEFAULT 'pendiente'
                        CHECK (estado IN ('pendiente', 'encolado', 'omitido')),
    creado_en           INTEGER NOT NULL,   -- the launch that froze the audience
    encolado_en         INTEGER,            -- when its outbox message was written
    motivo              TEXT,               -- why it was left out (omitido)
    PRIMARY KEY (campana_id, cliente_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX campana_cola_pendiente ON campana_cola (campana_id, cliente_id) WHERE estado = 'pendiente';
CREATE INDEX campana_cola_cliente ON campana_cola (cliente_id, campana_id);

-- Every recipient stored before this version was queued by the launch that stored it.
INSERT INTO campana_cola (campana_id, cliente_id, estado, creado_en, encolado_en)
SELECT campana_id, cliente_id, 'encolado', creado_en, creado_en FROM campana_destinatarios;
