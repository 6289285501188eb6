-- The scheduler's memory: one row per (job, brand) with the last scheduled time it covered,
-- so a restart catches up a missed run once, and the history of runs.

CREATE TABLE jobs (
    nombre              TEXT NOT NULL,
    marca               TEXT NOT NULL DEFAULT '',   -- '' for install-wide jobs
    ultimo_programado   INTEGER NOT NULL,           -- unix ms of the last due time handled
    ultima_ejecucion_en INTEGER,
    resultado           TEXT,                       -- ok | error
    detalle             TEXT,
    PRIMARY KEY (nombre, marca)
) STRICT;

CREATE TABLE job_runs (
    id                  INTEGER PRIMARY KEY,
    nombre              TEXT NOT NULL,
    marca               TEXT NOT NULL DEFAULT '',
    programado_para     INTEGER,                    -- NULL for "run now"
    inicio              INTEGER NOT NULL,
    fin                 INTEGER,
    resultado           TEXT,
    detalle             TEXT
) STRICT;
CREATE INDEX job_runs_job ON job_runs (nombre, marca, id);
