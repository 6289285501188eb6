-- How many units each order line actually took from stock, so a cancellation gives back
-- exactly that (a product whose stock was not tracked at confirmation gives back nothing).
ALTER TABLE pedido_items ADD COLUMN stock_tomado INTEGER NOT NULL DEFAULT 0;

UPDATE pedido_items SET stock_tomado = cantidad
WHERE pedido_id IN (SELECT id FROM pedidos WHERE estado NOT IN ('recibido', 'cancelado'))
  AND producto_id IN (SELECT id FROM productos WHERE stock IS NOT NULL);
