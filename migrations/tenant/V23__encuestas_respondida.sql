-- The dashboard's satisfaction figures read the surveys answered in a period: an index on
-- the answer time, so they never scan every survey (one per delivered order).
CREATE INDEX encuestas_respondida ON encuestas (respondida_en);
