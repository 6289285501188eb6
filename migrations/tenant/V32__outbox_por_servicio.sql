-- The worker claims each service's due messages up to what that service can send now (a
-- WhatsApp number's rate), so a burst waits in the queue instead of being claimed and put
-- back message by message. This index finds one service's due messages without reading
-- past the others'; `outbox_due` still answers "is anything due, and when".
CREATE INDEX outbox_due_servicio ON outbox (servicio, proximo_intento_en)
    WHERE estado IN ('pendiente', 'enviando');
