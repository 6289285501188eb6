//! What the mirror copies: one entry per brand table, naming each column with its kind.
//!
//! Adding a table to the mirror is one [`Table`] entry here (or in [`super::tables_domains`])
//! plus its `CREATE TABLE` in a new `migrations/mirror/V{n}__*.sql` (the SQLite side feeds
//! `changes` through its triggers). The `mirror_sync` test checks that this list, the SQLite schema and the Postgres
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
    /// The SQLite column.
    pub name: &'static str,
    /// Its name in Postgres: the same, except where it would clash with a column the mirror
    /// adds itself (`clave`).
    pub pg: &'static str,
    pub kind: Kind,
    /// Personal data: replaced by a keyed hash unless `include_personal_data = true`.
    pub personal: bool,
}

/// What `changes.fila_id` of a table means, so a sync step knows what to copy again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// The row's key, one integer column (`key` has exactly that column).
    Row,
    /// The first key column of a composite key: the step deletes that whole group in Postgres
    /// and copies it again (a few rows: a campaign's recipients, a subscription's periods).
    Group,
    /// Nothing (0): the table is a handful of rows and is copied again whole on any change.
    Whole,
}

/// A brand table mirrored as `autonomo.<name>` with `site` and `marca` in front of its columns.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// The SQLite key (Postgres: `site`, `marca` and these), in the order rows are copied.
    pub key: &'static [&'static str],
    pub feed: Feed,
}

impl Table {
    /// Money columns are shown in the brand's currency, named in an extra `moneda` column.
    pub fn has_money(&self) -> bool {
        self.columns.iter().any(|c| c.kind == Kind::Money)
    }

    /// The column `changes.fila_id` refers to; `None` for [`Feed::Whole`].
    pub fn feed_column(&self) -> Option<&'static str> {
        match self.feed {
            Feed::Row | Feed::Group => Some(self.key[0]),
            Feed::Whole => None,
        }
    }

    /// The Postgres name of SQLite column `name`.
    pub fn pg_name(&self, name: &str) -> &'static str {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.pg)
            .unwrap_or("")
    }
}

pub(super) const ID: &[&str] = &["id"];

pub(super) const fn c(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        pg: name,
        kind,
        personal: false,
    }
}

pub(super) const fn personal(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        pg: name,
        kind,
        personal: true,
    }
}

/// A column stored in Postgres under another name.
pub(super) const fn renamed(name: &'static str, pg: &'static str, kind: Kind) -> Column {
    Column {
        name,
        pg,
        kind,
        personal: false,
    }
}

use super::tables_domains as d;
use Kind::{Bool, Int, Json, Money, Text, Time};

pub use super::not_mirrored::NOT_MIRRORED;

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
        key: ID,
        feed: Feed::Row,
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
        key: ID,
        feed: Feed::Row,
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
        key: ID,
        feed: Feed::Row,
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
        key: ID,
        feed: Feed::Row,
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
        key: ID,
        feed: Feed::Row,
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
        key: ID,
        feed: Feed::Row,
    },
    d::CAMPANAS,
    d::CAMPANA_DESTINATARIOS,
    d::AUTOMATIZACIONES,
    d::ENCUESTAS,
    d::RECORDATORIOS,
    d::FIDELIDAD_PROGRAMA,
    d::FIDELIDAD_RECOMPENSAS,
    d::FIDELIDAD_MOVIMIENTOS,
    d::PROMOCIONES,
    d::PROMOCION_HISTORIAL,
    d::PEDIDO_DESCUENTOS,
    d::SUSCRIPCION_PLANES,
    d::SUSCRIPCIONES,
    d::SUSCRIPCION_PERIODOS,
    d::IMPACTO_RANKING,
    d::AVISOS_REPOSICION,
    d::MOVIMIENTOS_STOCK,
    d::GARANTIAS,
    d::TICKETS_SOPORTE,
    d::SEGMENTO_CAMBIOS,
    d::CONSENTIMIENTOS,
    d::SERIES_EDUCATIVAS,
    d::SERIES_PASOS,
    d::SERIES_INSCRIPCIONES,
    d::SERIES_ENVIOS,
];

/// The table description for a SQLite table name, if it is mirrored.
pub fn find(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_key_and_names_are_unique() {
        for t in TABLES {
            assert!(!t.key.is_empty(), "{}", t.name);
            for k in t.key {
                assert!(t.columns.iter().any(|c| c.name == *k), "{} key {k}", t.name);
            }
            match t.feed {
                Feed::Row => assert_eq!(t.key.len(), 1, "{}", t.name),
                Feed::Group => assert!(t.key.len() > 1, "{}", t.name),
                Feed::Whole => {}
            }
            if let Some(f) = t.feed_column() {
                let col = t.columns.iter().find(|c| c.name == f).unwrap();
                assert_eq!(
                    col.kind,
                    Kind::Int,
                    "{}: changes.fila_id is an integer",
                    t.name
                );
            }
            let mut names: Vec<_> = t.columns.iter().map(|c| c.pg).collect();
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
            assert!(
                !NOT_MIRRORED.iter().any(|(n, _)| *n == t.name),
                "{} is mirrored and excluded",
                t.name
            );
        }
        assert!(find("pedidos").is_some() && find("changes").is_none());
        assert_eq!(
            find("automatizaciones").unwrap().pg_name("clave"),
            "automatizacion"
        );
    }
}
