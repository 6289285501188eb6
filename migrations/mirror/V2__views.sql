-- Analysis views. Days and months are taken in each brand's own time zone; revenue counts
-- every order that is not `cancelado`, in the brand's currency (`moneda`).

CREATE VIEW autonomo.v_metricas_diarias AS
WITH pedidos_dia AS (
    SELECT p.site, p.marca, (p.creado_en AT TIME ZONE m.zona_horaria)::date AS dia,
           count(*) AS pedidos,
           count(*) FILTER (WHERE p.estado = 'cancelado') AS pedidos_cancelados,
           coalesce(sum(p.total) FILTER (WHERE p.estado <> 'cancelado'), 0) AS ingresos,
           count(DISTINCT p.cliente_id) FILTER (WHERE p.estado <> 'cancelado') AS clientes_compradores
    FROM autonomo.pedidos p
    JOIN autonomo.marcas m ON m.site = p.site AND m.marca = p.marca
    GROUP BY 1, 2, 3
), clientes_dia AS (
    SELECT c.site, c.marca, (c.creado_en AT TIME ZONE m.zona_horaria)::date AS dia,
           count(*) AS clientes_nuevos
    FROM autonomo.clientes c
    JOIN autonomo.marcas m ON m.site = c.site AND m.marca = c.marca
    GROUP BY 1, 2, 3
)
SELECT d.site, d.marca, d.dia, m.moneda,
       coalesce(p.pedidos, 0) AS pedidos,
       coalesce(p.pedidos_cancelados, 0) AS pedidos_cancelados,
       coalesce(p.ingresos, 0) AS ingresos,
       CASE WHEN coalesce(p.pedidos, 0) - coalesce(p.pedidos_cancelados, 0) > 0
            THEN round(p.ingresos / (p.pedidos - p.pedidos_cancelados), 2) END AS ticket_promedio,
       coalesce(p.clientes_compradores, 0) AS clientes_compradores,
       coalesce(c.clientes_nuevos, 0) AS clientes_nuevos
FROM (SELECT site, marca, dia FROM pedidos_dia UNION SELECT site, marca, dia FROM clientes_dia) d
JOIN autonomo.marcas m ON m.site = d.site AND m.marca = d.marca
LEFT JOIN pedidos_dia p ON p.site = d.site AND p.marca = d.marca AND p.dia = d.dia
LEFT JOIN clientes_dia c ON c.site = d.site AND c.marca = d.marca AND c.dia = d.dia;
COMMENT ON VIEW autonomo.v_metricas_diarias IS 'Métricas por marca y día (zona de la marca): pedidos, cancelados, ingresos (sin cancelados), ticket promedio, compradores, clientes nuevos / daily metrics per brand';

-- RFM: recency, frequency and monetary value of each customer with at least one order that
-- is not cancelled, each scored 1..5 within its brand by percentile (ties share a score;
-- 5 = most recent / most frequent / highest spend).
CREATE VIEW autonomo.v_rfm AS
WITH base AS (
    SELECT c.site, c.marca, c.id AS cliente_id, c.clave AS cliente_clave, c.nombre,
           max(p.creado_en) AS ultimo_pedido_en,
           count(*) AS frecuencia,
           sum(p.total) AS monto,
           min(p.moneda) AS moneda
    FROM autonomo.clientes c
    JOIN autonomo.pedidos p ON p.cliente_clave = c.clave AND p.estado <> 'cancelado'
    GROUP BY c.site, c.marca, c.id, c.clave, c.nombre
)
SELECT site, marca, cliente_id, cliente_clave, nombre, ultimo_pedido_en,
       floor(extract(epoch FROM now() - ultimo_pedido_en) / 86400)::int AS recencia_dias,
       frecuencia, monto, moneda,
       least(5, 1 + floor(5 * percent_rank() OVER (PARTITION BY site, marca ORDER BY ultimo_pedido_en)))::int AS r,
       least(5, 1 + floor(5 * percent_rank() OVER (PARTITION BY site, marca ORDER BY frecuencia)))::int AS f,
       least(5, 1 + floor(5 * percent_rank() OVER (PARTITION BY site, marca ORDER BY monto)))::int AS m
FROM base;
COMMENT ON VIEW autonomo.v_rfm IS 'RFM por cliente: recencia, frecuencia, monto y puntajes 1-5 por marca / RFM per customer with 1-5 scores per brand';

-- Cohorts: customers grouped by the month (brand time zone) of their first order that is not
-- cancelled; for each later month, how many of them ordered and what they spent.
CREATE VIEW autonomo.v_cohortes AS
WITH p AS (
    SELECT p.site, p.marca, p.cliente_id, p.total,
           date_trunc('month', p.creado_en AT TIME ZONE m.zona_horaria)::date AS mes
    FROM autonomo.pedidos p
    JOIN autonomo.marcas m ON m.site = p.site AND m.marca = p.marca
    WHERE p.estado <> 'cancelado'
), primero AS (
    SELECT site, marca, cliente_id, min(mes) AS cohorte FROM p GROUP BY 1, 2, 3
), tamano AS (
    SELECT site, marca, cohorte, count(*) AS clientes_cohorte FROM primero GROUP BY 1, 2, 3
)
SELECT p.site, p.marca, f.cohorte,
       ((extract(year FROM p.mes) - extract(year FROM f.cohorte)) * 12
         + extract(month FROM p.mes) - extract(month FROM f.cohorte))::int AS meses_desde_inicio,
       t.clientes_cohorte,
       count(DISTINCT p.cliente_id) AS clientes_activos,
       round(count(DISTINCT p.cliente_id)::numeric / t.clientes_cohorte, 4) AS retencion,
       sum(p.total) AS ingresos
FROM p
JOIN primero f ON f.site = p.site AND f.marca = p.marca AND f.cliente_id = p.cliente_id
JOIN tamano t ON t.site = f.site AND t.marca = f.marca AND t.cohorte = f.cohorte
GROUP BY p.site, p.marca, f.cohorte, meses_desde_inicio, t.clientes_cohorte;
COMMENT ON VIEW autonomo.v_cohortes IS 'Cohortes mensuales por primer pedido: clientes activos, retención e ingresos por mes / monthly cohorts by first order';
