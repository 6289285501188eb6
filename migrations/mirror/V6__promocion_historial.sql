-- A promotion rule's purchase-history condition (tenant V22): the rule applies only to
-- customers who bought `sku` in at least `veces` earlier orders that were not cancelled.
-- Keyed by the rule, one row at most per rule; gone with the rule.

CREATE TABLE autonomo.promocion_historial (
    site            text NOT NULL,
    marca           text NOT NULL,
    promocion_id    bigint NOT NULL,
    clave           text GENERATED ALWAYS AS (site || '/' || marca || '/' || promocion_id::text) STORED UNIQUE,
    promocion_clave text GENERATED ALWAYS AS (site || '/' || marca || '/' || promocion_id::text) STORED
                    REFERENCES autonomo.promociones (clave) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    sku             text NOT NULL,
    veces           bigint NOT NULL,
    PRIMARY KEY (site, marca, promocion_id),
    FOREIGN KEY (site, marca) REFERENCES autonomo.marcas (site, marca) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE autonomo.promocion_historial IS 'Condición de historial de compras de una promoción ("pidió el combo familiar 3 veces o más") / a promotion''s purchase-history condition';
COMMENT ON COLUMN autonomo.promocion_historial.sku IS 'SKU que el cliente debe haber comprado / SKU the customer must have bought';
COMMENT ON COLUMN autonomo.promocion_historial.veces IS 'Mínimo de pedidos no cancelados con ese SKU / minimum non-cancelled orders with that SKU';

-- Rules saved before this migration already went past every mirror's cursor while the table
-- was not mirrored: the next step of each brand is a full copy, which brings them.
UPDATE autonomo.sincronizacion SET seq = NULL;
