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
    fn conditions(&self, tz: chrono_tz::Tz) -> Result<(String, Vec<Value>), AppError> {
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
        if let Some(sku) = self.producto.as_deref().filter(|s| !s.is_empty()) {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
                   WHERE p.cliente_id = c.id AND p.estado <> 'cancelado' AND i.sku = ?)",
            );
            params.push(Value::Text(sku.to_owned()));
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
        Ok((sql, params))
    }

    /// Validates the filter without running it.
    pub fn validate(&self, tz: chrono_tz::Tz) -> Result<(), AppError> {
        self.conditions(tz).map(|_| ())
    }
}

const FROM: &str = "FROM clientes c LEFT JOIN wa_contactos w ON w.cliente_id = c.id";

fn with_exclusion(
    mut sql: String,
    mut params: Vec<Value>,
    exclude: Option<&Exclude>,
) -> (String, Vec<Value>) {
    if let Some(x) = exclude {
        sql.push_str(
            " AND NOT EXISTS (SELECT 1 FROM campana_destinatarios d JOIN campanas k ON k.id = d.campana_id
               WHERE d.cliente_id = c.id AND k.tipo = ? AND d.creado_en >= ?)",
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
    let (cond, params) = a.conditions(tz)?;
    let (cond, params) = with_exclusion(cond, params, exclude);
    Ok(c.prepare(&format!("SELECT COUNT(*) {FROM} WHERE {cond}"))?
        .query_row(params_from_iter(params), |r| r.get(0))?)
}

/// Up to `limit` members (all when `None`), by customer id.
pub fn members(
    c: &Connection,
    a: &Audience,
    tz: chrono_tz::Tz,
    exclude: Option<&Exclude>,
    limit: Option<u32>,
) -> Result<Vec<Member>, AppError> {
    let (cond, params) = a.conditions(tz)?;
    let (cond, params) = with_exclusion(cond, params, exclude);
    let limit = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    // The last product is the first line of the customer's latest order that was not cancelled.
    let sql = format!(
        "SELECT c.id, c.nombre, COALESCE(pii_open(w.wa_id), pii_open(c.wa_id), ltrim(pii_open(c.telefono), '+'), pii_open(w.bsuid)), c.segmento,
            (SELECT i.nombre FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
              WHERE p.cliente_id = c.id AND p.estado <> 'cancelado'
              ORDER BY p.creado_en DESC, i.id LIMIT 1)
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
