-- The inbox badge counts conversations waiting for a person on every staff page: keep that
-- count an index lookup however many customers a brand has.
CREATE INDEX conversaciones_esperando ON conversaciones (cliente_id)
    WHERE necesita_humano = 1 AND estado = 'abierta';
