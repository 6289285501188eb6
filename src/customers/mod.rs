//! Customers (clientes): who they are, how to reach them, and the rules for their fields.
//! Phone numbers are stored in E.164, normalised with the brand's default country.

mod anonymize;
pub mod api;
pub mod csv;
mod import_pages;
pub use import_pages::uploaded_file;
pub use privacy_pages::router as privacy_pages_router;
pub mod merge;
mod merge_pages;
pub mod pages;
pub mod privacy;
pub mod privacy_api;
mod privacy_pages;
mod search;
pub mod store;

pub use anonymize::{ERASED_NAME, anonymize};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, FieldError, msg};
use crate::tenants::Brand;
use crate::tenants::ids::CustomerId;

/// Channels through which a customer can arrive.
pub const ACQUISITION_CHANNELS: &[&str] = &[
    "whatsapp",
    "web",
    "telefono",
    "presencial",
    "importacion",
    "otro",
];

/// Lifecycle segments (kept current by analytics).
pub const SEGMENTS: &[&str] = &[
    "sin_compras",
    "nuevo",
    "recurrente",
    "vip",
    "en_riesgo",
    "perdido",
];

/// A customer as stored.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub marketing_consent: bool,
    pub channel: String,
    pub segment: String,
    pub orders_count: i64,
    pub total_spent: i64,
    pub first_order_at: Option<i64>,
    pub last_order_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields to create a customer.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub nombre: String,
    pub telefono: Option<String>,
    pub email: Option<String>,
    pub direccion: Option<String>,
    pub notas: Option<String>,
    #[serde(default)]
    pub etiquetas: Vec<String>,
    #[serde(default)]
    pub consentimiento_marketing: bool,
    /// whatsapp, web, telefono, presencial, importacion, otro (default: presencial).
    pub canal_adquisicion: Option<String>,
}

/// Fields that may change; absent means unchanged, `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub nombre: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub telefono: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub direccion: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notas: Option<Option<String>>,
    pub etiquetas: Option<Vec<String>>,
    pub consentimiento_marketing: Option<bool>,
}

/// Distinguishes an absent field (outer `None`) from an explicit `null` (inner `None`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Validated, normalised customer fields ready to store.
#[derive(Debug, Clone)]
pub struct CustomerFields {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub marketing_consent: bool,
    pub channel: String,
}

impl CustomerInput {
    /// Checks every field against the brand's rules, reporting all problems at once.
    pub fn validate(self, brand: &Brand) -> Result<CustomerFields, AppError> {
        let mut errors = Vec::new();
        let name = check_name(&self.nombre, &mut errors);
        let phone = check_phone(self.telefono.as_deref(), brand, &mut errors);
        let email = check_email(self.email.as_deref(), &mut errors);
        let address = check_text("direccion", self.direccion.as_deref(), 500, &mut errors);
        let notes = check_text("notas", self.notas.as_deref(), 5000, &mut errors);
        let tags = check_tags(&self.etiquetas, &mut errors);
        let channel = self
            .canal_adquisicion
            .unwrap_or_else(|| "presencial".into());
        if !ACQUISITION_CHANNELS.contains(&channel.as_str()) {
            errors.push(FieldError::new(
                "canal_adquisicion",
                "invalid_channel",
                msg(
                    format!(
                        "Canal desconocido; usa uno de: {}.",
                        ACQUISITION_CHANNELS.join(", ")
                    ),
                    format!(
                        "Unknown channel; use one of: {}.",
                        ACQUISITION_CHANNELS.join(", ")
                    ),
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(CustomerFields {
            name,
            phone,
            email,
            address,
            notes,
            tags,
            marketing_consent: self.consentimiento_marketing,
            channel,
        })
    }
}

impl CustomerPatch {
    /// Applies the patch on top of `current`, validating what changes.
    pub fn apply(self, current: &Customer, brand: &Brand) -> Result<CustomerFields, AppError> {
        let input = CustomerInput {
            nombre: self.nombre.unwrap_or_else(|| current.name.clone()),
            telefono: self.telefono.unwrap_or_else(|| current.phone.clone()),
            email: self.email.unwrap_or_else(|| current.email.clone()),
            direccion: self.direccion.unwrap_or_else(|| current.address.clone()),
            notas: self.notas.unwrap_or_else(|| current.notes.clone()),
            etiquetas: self.etiquetas.unwrap_or_else(|| current.tags.clone()),
            consentimiento_marketing: self
                .consentimiento_marketing
                .unwrap_or(current.marketing_consent),
            canal_adquisicion: Some(current.channel.clone()),
        };
        input.validate(brand)
    }
}

fn has_control_chars(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || has_control_chars(name) {
        errors.push(FieldError::new(
            "nombre",
            "invalid_name",
            msg(
                "El nombre es obligatorio (máx. 200 caracteres, sin caracteres de control).",
                "Name is required (max 200 characters, no control characters).",
            ),
        ));
    }
    name.to_string()
}

/// Normalises a phone number to E.164 using `brand`'s country for national numbers.
pub fn normalize_phone(raw: &str, brand: &Brand) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 40 {
        return None;
    }
    let number = phonenumber::parse(brand.country(), raw).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

fn check_phone(raw: Option<&str>, brand: &Brand, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    let normalized = normalize_phone(raw, brand);
    if normalized.is_none() {
        errors.push(FieldError::new(
            "telefono",
            "invalid_phone",
            msg(
                format!(
                    "«{}» no es un teléfono válido para {}.",
                    truncate(raw, 40),
                    brand.pais
                ),
                format!(
                    "`{}` is not a valid phone number for {}.",
                    truncate(raw, 40),
                    brand.pais
                ),
            ),
        ));
    }
    normalized
}

/// Lower-cases and checks the shape of an e-mail address (no network lookups).
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    let ok = !local.is_empty()
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    ok.then_some(email)
}

fn check_email(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    let normalized = normalize_email(raw);
    if normalized.is_none() {
        errors.push(FieldError::new(
            "email",
            "invalid_email",
            msg("Correo electrónico inválido.", "Invalid e-mail address."),
        ));
    }
    normalized
}

fn check_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let text = raw.map(str::trim).filter(|s| !s.is_empty())?;
    if text.chars().count() > max || has_control_chars(text) {
        errors.push(FieldError::new(
            field,
            "invalid_text",
            msg(
                format!("Texto demasiado largo (máx. {max}) o con caracteres de control."),
                format!("Text too long (max {max}) or with control characters."),
            ),
        ));
    }
    Some(text.to_string())
}

fn check_tags(tags: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut clean: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 || has_control_chars(&tag) {
            errors.push(FieldError::new(
                "etiquetas",
                "invalid_tag",
                msg(
                    "Cada etiqueta: 1 a 40 caracteres.",
                    "Each tag: 1 to 40 characters.",
                ),
            ));
            continue;
        }
        if !clean.contains(&tag) {
            clean.push(tag);
        }
    }
    if clean.len() > 30 {
        errors.push(FieldError::new(
            "etiquetas",
            "too_many_tags",
            msg("Máximo 30 etiquetas.", "At most 30 tags."),
        ));
    }
    clean
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A customer as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    #[schema(value_type = String, example = "cli_gollos_42")]
    pub id: CustomerId,
    #[schema(example = "gollos")]
    pub marca: String,
    pub nombre: String,
    pub telefono: Option<String>,
    pub email: Option<String>,
    pub direccion: Option<String>,
    pub notas: Option<String>,
    pub etiquetas: Vec<String>,
    pub consentimiento_marketing: bool,
    pub canal_adquisicion: String,
    pub segmento: String,
    pub pedidos: i64,
    /// Minor units of `moneda`.
    pub total_gastado: i64,
    pub moneda: String,
    pub primer_pedido_en: Option<String>,
    pub ultimo_pedido_en: Option<String>,
    pub creado_en: String,
    pub actualizado_en: String,
}

impl CustomerView {
    pub fn new(c: Customer, brand: &Brand) -> CustomerView {
        CustomerView {
            id: CustomerId::new(&brand.slug, c.id),
            marca: brand.slug.to_string(),
            nombre: c.name,
            telefono: c.phone,
            email: c.email,
            direccion: c.address,
            notas: c.notes,
            etiquetas: c.tags,
            consentimiento_marketing: c.marketing_consent,
            canal_adquisicion: c.channel,
            segmento: c.segment,
            pedidos: c.orders_count,
            total_gastado: c.total_spent,
            moneda: brand.moneda.clone(),
            primer_pedido_en: c.first_order_at.map(|t| brand.format_time(t)),
            ultimo_pedido_en: c.last_order_at.map(|t| brand.format_time(t)),
            creado_en: brand.format_time(c.created_at),
            actualizado_en: brand.format_time(c.updated_at),
        }
    }
}

/// Finds the customer with the same phone (then e-mail) or creates one: the rule every
/// channel (API orders, WhatsApp, CSV import) uses so a person is stored once per brand.
pub fn find_or_create(
    conn: &rusqlite::Connection,
    slug: &crate::tenants::Slug,
    fields: &CustomerFields,
    now: i64,
) -> Result<Customer, AppError> {
    if let Some(phone) = &fields.phone
        && let Some(found) = store::find_by_phone(conn, phone)?
    {
        return Ok(found);
    }
    if let Some(email) = &fields.email
        && let Some(found) = store::find_by_email(conn, email)?
    {
        return Ok(found);
    }
    store::insert(conn, slug, fields, now)
}
