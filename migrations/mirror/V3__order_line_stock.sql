-- Mirrors tenant migration V5: how many units each order line took from stock.
ALTER TABLE autonomo.pedido_items ADD COLUMN stock_tomado bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN autonomo.pedido_items.stock_tomado IS 'Unidades descontadas del stock al confirmar / units taken from stock at confirmation';
