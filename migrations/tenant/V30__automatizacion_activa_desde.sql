-- When each automation was last switched on (unix ms UTC; NULL while it is off). Surveys go
-- only to orders delivered from then on: switching surveys on used to survey every delivery
-- of the past 7 days at once (on a busy brand thousands of messages about week-old orders,
-- 500 every 5 minutes on the brand's writer), and so did a server started on demo data.
-- Automations already on count from their last change, which the 5-minute job has long
-- caught up with.

ALTER TABLE automatizaciones ADD COLUMN activa_desde INTEGER;
UPDATE automatizaciones SET activa_desde = actualizado_en WHERE activa = 1;
