//! The audience builder: a filter over customers turned into one SQL `WHERE`. Marketing
//! consent and a WhatsApp destination are always required, whatever the filter says.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, msg};
use crate::time::parse_instant;

/// Who a campaign goes to. Empty lists and `null`s do not filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Any of these segments (nuevo, recurrente, vip, en_riesgo, perdido…).
    #[serde(default)]
    pub segmentos: Vec<String>,
    /// Any of these tags.
    #[serde(default)]
    pub etiquetas: Vec<String>,
    /// Last order before this date (RFC 3339 or a date in the brand's zone).
    #[serde(default)]
    pub ultimo_pedido_antes: Option<String>,
    /// Last order on or after this date.
    #[serde(default)]
    pub ultimo_pedido_despues: Option<String>,
    /// Bought this product (SKU) in an order that was not cancelled.
    #[serde(default)]
    pub producto: Option<String>,
    /// Bought something of this category.
    #[serde(default)]
    pub categoria: Option<String>,
    /// Ordered through this channel (whatsapp, web, telefono, presencial).
    #[serde(default)]
    pub canal: Option<String>,
    /// Any of these RFM groups of the last nightly analysis (champions, loyal,
    /// potential_loyalist, new, promising, need_attention, about_to_sleep, at_risk,
    /// cant_lose_them, hibernating, lost).
    #[serde(default)]
    pub grupos_rfm: Vec<String>,
    /// Loyalty balance (points or stamps not expired, now) of at least this.
    #[serde(default)]
    pub puntos_min: Option<i64>,
    /// With `producto`: bought that SKU in at least this many orders that were not cancelled.
    #[serde(default)]
    pub producto_veces_min: Option<i64>,
}

/// Customers already reached by a campaign of `tipo` since a time are left out (automatic
/// campaigns do not repeat themselves).
#[derive(Debug, Clone)]
pub struct Exclude {
    pub tipo: String,
    pub since: i64,
}

/// One customer in an audience with what a message needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub cliente_id: i64,
    pub nombre: String,
    /// wa_id (or BSUID) the message goes to.
    pub destino: String,
    pub segmento: String,
    pub ultimo_producto: Option<String>,
}

fn bad(field: &str, es: &str, en: &str) -> AppError {
    AppError::validation(field, "invalid", msg(es, en))
}

impl Audience {
    /// Checks the filter and turns it into SQL conditions on `c` (clientes) and parameters.
    /// The loyalty balance is computed by the ledger (FIFO with expiry), not in SQL, so the
    /// customers meeting `puntos_min` are looked up on `conn` (none when validating only).
    fn conditions(
        &self,
        tz: chrono_tz::Tz,
        conn: Option<&Connection>,
    ) -> Result<(String, Vec<Value>), AppError> {
        let mut sql = String::from(
            "c.consentimiento_marketing = 1 AND COALESCE(w.wa_id, c.wa_id, c.telefono, w.bsuid) IS NOT NULL",
        );
        let mut params: Vec<Value> = Vec::new();
        let placeholders = |n: usize| vec!["?"; n].join(", ");
        if let Some(s) = self
            .segmentos
            .iter()
            .find(|s| !crate::customers::SEGMENTS.contains(&s.as_str()))
        {
            return Err(bad(
                "audiencia.segmentos",
                &format!("Segmento desconocido: {s}."),
                &format!("Unknown segment: {s}."),
            ));
        }
        if !self.segmentos.is_empty() {
            sql.push_str(&format!(
                " AND c.segmento IN ({})",
                placeholders(self.segmentos.len())
            ));
            params.extend(self.segmentos.iter().cloned().map(Value::Text));
        }
        if !self.etiquetas.is_empty() {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM json_each(c.etiquetas) t WHERE t.value IN ({}))",
                placeholders(self.etiquetas.len())
            ));
            params.extend(self.etiquetas.iter().cloned().map(Value::Text));
        }
        let date = |field: &str, v: &Option<String>| -> Result<Option<i64>, AppError> {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    parse_instant(s.trim(), tz)
                        .ok_or_else(|| bad(field, "Fecha inválida.", "Invalid date."))
                })
                .transpose()
        };
        if let Some(t) = date("audiencia.ultimo_pedido_antes", &self.ultimo_pedido_antes)? {
            sql.push_str(" AND c.ultimo_pedido_en < ?");
            params.push(Value::Integer(t));
        }
        if let Some(t) = date(
            "audiencia.ultimo_pedido_despues",
            &self.ultimo_pedido_despues,
        )? {
            sql.push_str(" AND c.ultimo_pedido_en >= ?");
            params.push(Value::Integer(t));
        }
        let sku = self.producto.as_deref().filter(|s| !s.is_empty());
        match (sku, self.producto_veces_min) {
            (_, Some(n)) if !(1..=100_000).contains(&n) => {
                return Err(bad(
                    "audiencia.producto_veces_min",
                    "Veces: de 1 a 100000.",
                    "Times: 1 to 100000.",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "audiencia.producto_veces_min",
                    "Indica el producto (SKU) que debe haber comprado.",
                    "Give the product (SKU) they must have bought.",
                ));
            }
            (Some(sku), Some(n)) if n > 1 => {
                sql.push_str(
                    " AND (SELECT COUNT(DISTINCT p.id) FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
                       WHERE p.cliente_id = c.id AND p.estado <> 'cancelado' AND i.sku = ?) >= ?",
                );
                params.push(Value::Text(sku.to_owned()));
                params.push(Value::Integer(n));
            }
            (Some(sku), _) => {
                sql.push_str(
                    " AND EXISTS (SELECT 1 FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
                       WHERE p.cliente_id = c.id AND p.estado <> 'cancelado' AND i.sku = ?)",
                );
                params.push(Value::Text(sku.to_owned()));
            }
            (None, None) => {}
        }
        if let Some(cat) = self.categoria.as_deref().filter(|s| !s.is_empty()) {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
                   JOIN productos pr ON pr.id = i.producto_id
                   WHERE p.cliente_id = c.id AND p.estado <> 'cancelado' AND pr.categoria = ?)",
            );
            params.push(Value::Text(cat.to_owned()));
        }
        if let Some(ch) = self.canal.as_deref().filter(|s| !s.is_empty()) {
            if !crate::orders::CHANNELS.contains(&ch) {
                return Err(bad(
                    "audiencia.canal",
                    "Canal desconocido.",
                    "Unknown channel.",
                ));
            }
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM pedidos p WHERE p.cliente_id = c.id AND p.canal = ?)",
            );
            params.push(Value::Text(ch.to_owned()));
        }
        if !self.grupos_rfm.is_empty() {
            if let Some(g) = self.grupos_rfm.iter().find(|g| !rfm_keys().contains(g)) {
                return Err(bad(
                    "audiencia.grupos_rfm",
                    &format!("Grupo RFM desconocido: {g}."),
                    &format!("Unknown RFM group: {g}."),
                ));
            }
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM analitica_clientes a WHERE a.cliente_id = c.id AND a.rfm_grupo IN ({}))",
                placeholders(self.grupos_rfm.len())
            ));
            params.extend(self.grupos_rfm.iter().cloned().map(Value::Text));
        }
        if let Some(min) = self.puntos_min {
            if !(1..=1_000_000_000).contains(&min) {
                return Err(bad(
                    "audiencia.puntos_min",
                    "Puntos mínimos: de 1 a 1000000000.",
                    "Minimum points: 1 to 1000000000.",
                ));
            }
            let ids = match conn {
                Some(conn) => with_points(conn, min, crate::time::now_ms())?,
                None => Vec::new(),
            };
            sql.push_str(" AND c.id IN (SELECT value FROM json_each(?))");
            params.push(Value::Text(serde_json::json!(ids).to_string()));
        }
        Ok((sql, params))
    }

    /// Validates the filter without running it.
    pub fn validate(&self, tz: chrono_tz::Tz) -> Result<(), AppError> {
        self.conditions(tz, None).map(|_| ())
    }
}

/// The RFM group keys as stored in `analitica_clientes.rfm_grupo` (snake_case English).
pub fn rfm_keys() -> Vec<String> {
    crate::analytics::rfm::RfmGroup::ALL
        .iter()
        .filter_map(|g| serde_json::to_value(g).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Customers whose loyalty balance at `now` is at least `min`.
fn with_points(conn: &Connection, min: i64, now: i64) -> Result<Vec<i64>, AppError> {
    let ids: Vec<i64> = conn
        .prepare("SELECT DISTINCT cliente_id FROM fidelidad_movimientos ORDER BY cliente_id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for id in ids {
        if crate::loyalty::store::balance(conn, id, now)? >= min {
            out.push(id);
        }
    }
    Ok(out)
}

const FROM: &str = "FROM clientes c LEFT JOIN wa_contactos w ON w.cliente_id = c.id";

fn with_exclusion(
    mut sql: String,
    mut params: Vec<Value>,
    exclude: Option<&Exclude>,
) -> (String, Vec<Value>) {
    if let Some(x) = exclude {
        // Every recipient a campaign froze at its launch, queued yet or not.
        sql.push_str(
            " AND NOT EXISTS (SELECT 1 FROM campana_cola q JOIN campanas k ON k.id = q.campana_id
               WHERE q.cliente_id = c.id AND k.tipo = ? AND q.creado_en >= ?)",
        );
        params.push(Value::Text(x.tipo.clone()));
        params.push(Value::Integer(x.since));
    }
    (sql, params)
}

/// How many customers the audience holds right now.
pub fn count(
    c: &Connection,
    a: &Audience,
    tz: chrono_tz::Tz,
    exclude: Option<&Exclude>,
) -> Result<i64, AppError> {
    let (cond, params) = a.conditions(tz, Some(c))?;
    let (cond, params) = with_exclusion(cond, params, exclude);
    Ok(c.prepare(&format!("SELECT COUNT(*) {FROM} WHERE {cond}"))?
        .query_row(params_from_iter(params), |r| r.get(0))?)
}

/// Freezes the audience of campaign `id` as it is now: one `campana_cola` row per member,
/// waiting for the campaign sender. Only ids are written (no message is built), so even a
/// large audience is one short write. Returns how many recipients were stored.
pub fn freeze(
    c: &Connection,
    id: i64,
    a: &Audience,
    tz: chrono_tz::Tz,
    exclude: Option<&Exclude>,
    now: i64,
) -> Result<i64, AppError> {
    let (cond, params) = a.conditions(tz, Some(c))?;
    let (cond, params) = with_exclusion(cond, params, exclude);
    let mut all = vec![Value::Integer(id), Value::Integer(now)];
    all.extend(params);
    let n = c
        .prepare(&format!(
            "INSERT INTO campana_cola (campana_id, cliente_id, creado_en)
             SELECT ?, c.id, ? {FROM} WHERE {cond} ORDER BY c.id"
        ))?
        .execute(params_from_iter(all))?;
    Ok(n as i64)
}

/// The WhatsApp destination of customer `c` (joined with `w`, their WhatsApp contact), opened.
pub(super) const DESTINATION: &str = "COALESCE(pii_open(w.wa_id), pii_open(c.wa_id), ltrim(pii_open(c.telefono), '+'), pii_open(w.bsuid))";

/// The first line of customer `c`'s latest order that was not cancelled.
pub(super) const LAST_PRODUCT: &str =
    "(SELECT i.nombre FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
      WHERE p.cliente_id = c.id AND p.estado <> 'cancelado'
      ORDER BY p.creado_en DESC, i.id LIMIT 1)";

/// Up to `limit` members (all when `None`), by customer id.
pub fn members(
    c: &Connection,
    a: &Audience,
    tz: chrono_tz::Tz,
    exclude: Option<&Exclude>,
    limit: Option<u32>,
) -> Result<Vec<Member>, AppError> {
    let (cond, params) = a.conditions(tz, Some(c))?;
    let (cond, params) = with_exclusion(cond, params, exclude);
    let limit = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    let sql = format!(
        "SELECT c.id, c.nombre, {DESTINATION}, c.segmento, {LAST_PRODUCT}
         {FROM} WHERE {cond} ORDER BY c.id{limit}"
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), |r| {
        Ok(Member {
            cliente_id: r.get(0)?,
            nombre: r.get(1)?,
            destino: r.get(2)?,
            segmento: r.get(3)?,
            ultimo_producto: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
