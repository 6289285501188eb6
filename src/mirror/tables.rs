//! What the mirror copies: one entry per brand table, naming each column with its kind.
//!
//! Adding a table to the mirror is one [`Table`] entry here plus its `CREATE TABLE` in a new
//! `migrations/mirror/V{n}__*.sql` (the SQLite side already feeds `changes` through its
//! triggers). The `mirror_sync` test checks that this list, the SQLite schema and the Postgres
//! schema agree column by column, so a forgotten piece fails CI instead of a sync.

/// How a SQLite column is carried into Postgres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// INTEGER → bigint.
    Int,
    /// TEXT → text.
    Text,
    /// INTEGER minor units → numeric in major units of the brand's currency; the table gets a
    /// `moneda` column.
    Money,
    /// INTEGER unix ms → timestamptz.
    Time,
    /// INTEGER 0/1 → boolean.
    Bool,
    /// TEXT holding JSON → jsonb.
    Json,
}

impl Kind {
    /// The Postgres type the column has in the mirror.
    pub fn pg_type(self) -> &'static str {
        match self {
            Kind::Int => "bigint",
            Kind::Text => "text",
            Kind::Money => "numeric",
            Kind::Time => "timestamptz",
            Kind::Bool => "boolean",
            Kind::Json => "jsonb",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Personal data: replaced by a keyed hash unless `include_personal_data = true`.
    pub personal: bool,
}

/// A brand table mirrored as `autonomo.<name>` with `site` and `marca` in front of its columns.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    /// The first column is always `id`, the SQLite row id.
    pub columns: &'static [Column],
}

impl Table {
    /// Money columns are shown in the brand's currency, named in an extra `moneda` column.
    pub fn has_money(&self) -> bool {
        self.columns.iter().any(|c| c.kind == Kind::Money)
    }
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        personal: false,
    }
}

const fn personal(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        personal: true,
    }
}

use Kind::{Bool, Int, Json, Money, Text, Time};

/// Every mirrored table, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "clientes",
        columns: &[
            c("id", Int),
            c("nombre", Text),
            personal("telefono", Text),
            personal("email", Text),
            personal("direccion", Text),
            personal("notas", Text),
            c("etiquetas", Json),
            c("consentimiento_marketing", Bool),
            c("canal_adquisicion", Text),
            c("segmento", Text),
            personal("wa_id", Text),
            c("pedidos_count", Int),
            c("total_gastado", Money),
            c("primer_pedido_en", Time),
            c("ultimo_pedido_en", Time),
            c("creado_en", Time),
            c("actualizado_en", Time),
        ],
    },
    Table {
        name: "productos",
        columns: &[
            c("id", Int),
            c("sku", Text),
            c("nombre", Text),
            c("categoria", Text),
            c("precio", Money),
            c("costo", Money),
            c("stock", Int),
            c("activo", Bool),
            c("atributos", Json),
            c("creado_en", Time),
            c("actualizado_en", Time),
        ],
    },
    Table {
        name: "pedidos",
        columns: &[
            c("id", Int),
            c("cliente_id", Int),
            c("canal", Text),
            c("estado", Text),
            c("subtotal", Money),
            c("descuento", Money),
            c("total", Money),
            personal("notas", Text),
            c("external_id", Text),
            c("creado_en", Time),
            c("actualizado_en", Time),
        ],
    },
    Table {
        name: "pedido_items",
        columns: &[
            c("id", Int),
            c("pedido_id", Int),
            c("producto_id", Int),
            c("sku", Text),
            c("nombre", Text),
            c("cantidad", Int),
            c("precio_unitario", Money),
            c("total", Money),
            c("stock_tomado", Int),
        ],
    },
    Table {
        name: "pedido_estados",
        columns: &[
            c("id", Int),
            c("pedido_id", Int),
            c("estado", Text),
            c("anterior", Text),
            c("actor", Text),
            personal("nota", Text),
            c("creado_en", Time),
        ],
    },
    Table {
        name: "interacciones",
        columns: &[
            c("id", Int),
            c("cliente_id", Int),
            c("canal", Text),
            c("direccion", Text),
            c("tipo", Text),
            personal("cuerpo", Text),
            c("external_id", Text),
            c("pedido_id", Int),
            personal("metadatos", Json),
            c("creado_en", Time),
        ],
    },
];

/// Tables that feed `changes` for other readers but stay out of the mirror, with the reason.
pub const NOT_MIRRORED: &[(&str, &str)] = &[
    (
        "outbox",
        "delivery plumbing (payloads, leases, retries); business-level sends are mirrored by their own tables",
    ),
    (
        "conversaciones",
        "inbox working state (unread counts, assignment, last preview) that feeds the live inbox; \
         every WhatsApp message itself is mirrored as a row of interacciones",
    ),
];

/// The table description for a SQLite table name, if it is mirrored.
pub fn find(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_starts_with_its_id_and_names_are_unique() {
        for t in TABLES {
            assert_eq!(t.columns[0].name, "id", "{}", t.name);
            assert_eq!(t.columns[0].kind, Kind::Int, "{}", t.name);
            let mut names: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "{} repeats a column", t.name);
            assert!(
                !names
                    .iter()
                    .any(|n| ["site", "marca", "moneda", "clave"].contains(n)),
                "{} uses a name the mirror adds itself",
                t.name
            );
        }
        assert!(find("pedidos").is_some() && find("changes").is_none());
    }
}
