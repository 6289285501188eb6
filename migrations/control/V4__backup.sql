-- GDPR erasure log: every customer forgotten in a brand. `autonomo restore` re-applies these
-- to any restored brand database, so a backup never brings a forgotten person back.

CREATE TABLE erasures (
    id          INTEGER PRIMARY KEY,
    marca       TEXT NOT NULL,              -- brand slug (kept even if the brand is archived)
    cliente_id  INTEGER NOT NULL,           -- local id in that brand's clientes table
    creado_en   INTEGER NOT NULL            -- unix ms UTC
) STRICT;
CREATE INDEX erasures_marca ON erasures (marca, cliente_id);
