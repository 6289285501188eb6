-- Encryption at rest, third part (docs/security.md, "Encryption at rest"): the last free text
-- about a person that was still stored in clear is sealed too: loyalty movement notes
-- (`fidelidad_movimientos.nota`), support ticket subjects and details
-- (`tickets_soporte.asunto` / `detalle`), WhatsApp handoff reasons
-- (`conversaciones.motivo_humano`), the bot's per-customer memory (`wa_bot.carrito`: what the
-- person asked for) and provider errors of outbound messages, which can echo a message or a
-- phone number (`outbox.ultimo_error`, and the same text in `wa_salientes.error_detalle` and
-- `wa_estados.errores`). As in V18 and V20, SQL cannot encrypt: clearing
-- `sellado_en` makes the next open run the application's sealing pass over every column of
-- `crypto::sealing::SEALED` (values already sealed are skipped).

-- The loyalty ledger stays append-only, except that a note may be sealed, re-sealed by a key
-- rotation or erased (NULL) by a GDPR erasure: the old trigger refused any change of `nota`.
-- (`backup::erasure::LEDGER_NOTES_ERASABLE` repeats these statements for restored pre-V24
-- files, before replaying erasures on them: keep the two in step.)
DROP TRIGGER IF EXISTS fidelidad_movimientos_no_update;
CREATE TRIGGER fidelidad_movimientos_no_update
BEFORE UPDATE OF id, tipo, puntos, pedido_id, recompensa_id, vence_en, creado_en ON fidelidad_movimientos
BEGIN SELECT RAISE(ABORT, 'fidelidad_movimientos is append-only'); END;
DROP TRIGGER IF EXISTS fidelidad_movimientos_nota_sellada;
CREATE TRIGGER fidelidad_movimientos_nota_sellada
BEFORE UPDATE OF nota ON fidelidad_movimientos
WHEN new.nota IS NOT NULL AND new.nota NOT LIKE 'enc1:%'
BEGIN SELECT RAISE(ABORT, 'fidelidad_movimientos is append-only (a note can only be sealed or erased)'); END;

UPDATE cifrado SET sellado_en = NULL;
