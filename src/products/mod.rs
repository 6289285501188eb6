//! Products (productos): a brand's catalogue with prices in minor units and optional stock.

pub mod api;
pub mod csv;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, FieldError, msg};
use crate::tenants::Brand;
use crate::tenants::ids::ProductId;

#[derive(Debug, Clone)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub price: i64,
    pub cost: Option<i64>,
    /// `None`: stock is not tracked for this product.
    pub stock: Option<i64>,
    pub active: bool,
    pub attributes: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub sku: String,
    pub nombre: String,
    #[serde(default)]
    pub categoria: String,
    /// Minor units of the brand's currency (céntimos).
    pub precio: i64,
    pub costo: Option<i64>,
    /// Absent or null: stock not tracked.
    pub stock: Option<i64>,
    #[serde(default = "yes")]
    pub activo: bool,
    /// Brand-specific attributes, e.g. `{"garantia_meses": 12}` or `{"co2_kg": 1.5}`.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub atributos: serde_json::Value,
}

fn yes() -> bool {
    true
}
fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub sku: Option<String>,
    pub nombre: Option<String>,
    pub categoria: Option<String>,
    pub precio: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub costo: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub stock: Option<Option<i64>>,
    pub activo: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub atributos: Option<serde_json::Value>,
}

fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Largest price accepted: 1e12 minor units keeps every total far from i64 overflow.
pub const MAX_PRICE: i64 = 1_000_000_000_000;

impl ProductInput {
    pub fn validate(mut self) -> Result<ProductInput, AppError> {
        let mut errors = Vec::new();
        self.sku = self.sku.trim().to_string();
        self.nombre = self.nombre.trim().to_string();
        self.categoria = self.categoria.trim().to_string();
        let sku_ok = !self.sku.is_empty()
            && self.sku.len() <= 64
            && self
                .sku
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        if !sku_ok {
            errors.push(FieldError::new(
                "sku",
                "invalid_sku",
                msg(
                    "SKU de 1 a 64 caracteres: letras, dígitos y - _ . /",
                    "SKU of 1 to 64 characters: letters, digits and - _ . /",
                ),
            ));
        }
        if self.nombre.is_empty()
            || self.nombre.chars().count() > 200
            || self.nombre.chars().any(char::is_control)
        {
            errors.push(FieldError::new(
                "nombre",
                "invalid_name",
                msg(
                    "El nombre es obligatorio (máx. 200).",
                    "Name is required (max 200).",
                ),
            ));
        }
        if self.categoria.chars().count() > 80 || self.categoria.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "categoria",
                "invalid_category",
                msg(
                    "Categoría de hasta 80 caracteres.",
                    "Category up to 80 characters.",
                ),
            ));
        }
        if !(0..=MAX_PRICE).contains(&self.precio) {
            errors.push(FieldError::new(
                "precio",
                "invalid_price",
                msg(
                    "El precio va en céntimos, entre 0 y 10^12.",
                    "Price is in minor units, between 0 and 10^12.",
                ),
            ));
        }
        if self.costo.is_some_and(|c| !(0..=MAX_PRICE).contains(&c)) {
            errors.push(FieldError::new(
                "costo",
                "invalid_cost",
                msg(
                    "El costo va en céntimos, entre 0 y 10^12.",
                    "Cost is in minor units, between 0 and 10^12.",
                ),
            ));
        }
        if self
            .stock
            .is_some_and(|s| !(0..=1_000_000_000).contains(&s))
        {
            errors.push(FieldError::new(
                "stock",
                "invalid_stock",
                msg(
                    "El stock no puede ser negativo.",
                    "Stock cannot be negative.",
                ),
            ));
        }
        if !self.atributos.is_object() || self.atributos.to_string().len() > 16 * 1024 {
            errors.push(FieldError::new(
                "atributos",
                "invalid_attributes",
                msg(
                    "Los atributos deben ser un objeto JSON (máx. 16 KiB).",
                    "Attributes must be a JSON object (max 16 KiB).",
                ),
            ));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(AppError::Validation(errors))
        }
    }
}

impl ProductPatch {
    pub fn apply(self, current: &Product) -> Result<ProductInput, AppError> {
        ProductInput {
            sku: self.sku.unwrap_or_else(|| current.sku.clone()),
            nombre: self.nombre.unwrap_or_else(|| current.name.clone()),
            categoria: self.categoria.unwrap_or_else(|| current.category.clone()),
            precio: self.precio.unwrap_or(current.price),
            costo: self.costo.unwrap_or(current.cost),
            stock: self.stock.unwrap_or(current.stock),
            activo: self.activo.unwrap_or(current.active),
            atributos: self.atributos.unwrap_or_else(|| current.attributes.clone()),
        }
        .validate()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    #[schema(value_type = String, example = "pro_gollos_3")]
    pub id: ProductId,
    pub marca: String,
    pub sku: String,
    pub nombre: String,
    pub categoria: String,
    pub precio: i64,
    pub costo: Option<i64>,
    pub moneda: String,
    pub stock: Option<i64>,
    pub activo: bool,
    #[schema(value_type = Object)]
    pub atributos: serde_json::Value,
    pub creado_en: String,
    pub actualizado_en: String,
}

impl ProductView {
    pub fn new(p: Product, brand: &Brand) -> ProductView {
        ProductView {
            id: ProductId::new(&brand.slug, p.id),
            marca: brand.slug.to_string(),
            sku: p.sku,
            nombre: p.name,
            categoria: p.category,
            precio: p.price,
            costo: p.cost,
            moneda: brand.moneda.clone(),
            stock: p.stock,
            activo: p.active,
            atributos: p.attributes,
            creado_en: brand.format_time(p.created_at),
            actualizado_en: brand.format_time(p.updated_at),
        }
    }
}
