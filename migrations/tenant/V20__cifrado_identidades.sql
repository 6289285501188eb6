-- Encryption at rest, second part (docs/security.md, "Encryption at rest"): the WhatsApp
-- identity (wa_id, BSUID, profile name and username), order and status notes, reminder texts
-- and survey comments are stored sealed too. As in V18, SQL cannot encrypt: the values
-- already stored are sealed by the application on the next open (`crypto::sealing::prepare`
-- runs its one-time pass again because `sellado_en` is cleared below; the pass only touches
-- values still in clear, so the V18 columns are not sealed twice).
--
-- Webhook identity lookups go through keyed blind indexes (one indexed equality each), since
-- a sealed value never compares equal to the received id.

ALTER TABLE clientes ADD COLUMN wa_id_bi TEXT;
DROP INDEX clientes_wa_id;
CREATE INDEX clientes_wa_id_bi ON clientes (wa_id_bi) WHERE wa_id_bi IS NOT NULL;

-- The UNIQUE constraints on the sealed bsuid/wa_id columns stay (SQLite cannot drop them
-- without rebuilding the table) but no longer mean anything: uniqueness is on the indexes.
ALTER TABLE wa_contactos ADD COLUMN bsuid_bi TEXT;
ALTER TABLE wa_contactos ADD COLUMN wa_id_bi TEXT;
CREATE UNIQUE INDEX wa_contactos_bsuid_bi ON wa_contactos (bsuid_bi);
CREATE UNIQUE INDEX wa_contactos_wa_id_bi ON wa_contactos (wa_id_bi);

UPDATE cifrado SET sellado_en = NULL;
