-- Delivery times by date (issue 11). The survey job (`surveys::send_due`, every 5 minutes on
-- the brand's writer) looks for orders delivered in the last 7 days without a survey. It
-- could only walk every delivered order and compute each one's delivery time: at 1M orders
-- 2.2 s on the writer, so every webhook ack and API write of the brand waited behind it
-- every 5 minutes. With this index it reads the last 7 days' deliveries: 0.1 s.
-- Partial: only delivery rows, a sixth of `pedido_estados`.

CREATE INDEX pedido_estados_entregado ON pedido_estados (creado_en, pedido_id)
    WHERE estado = 'entregado';
