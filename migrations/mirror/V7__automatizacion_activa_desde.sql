-- Mirrors tenant migration V30: when each automation was last switched on.
ALTER TABLE autonomo.automatizaciones ADD COLUMN activa_desde timestamptz;
COMMENT ON COLUMN autonomo.automatizaciones.activa_desde IS 'Encendida desde (vacío si está apagada); las encuestas van a entregas desde entonces / switched on since (empty when off); surveys go to deliveries from then on';
