//! Test data shared by the campaign unit tests: VIP customers who accept marketing, and a
//! manual campaign for them.

use rusqlite::{Connection, params};

use super::Audience;
use super::store::{self, NewCampaign};
use crate::error::AppError;

/// Customers 1..=n, VIP, with marketing consent and the phone +51999000000 + i.
pub fn consenting_vips(c: &Connection, n: i64) -> Result<(), AppError> {
    for i in 1..=n {
        c.execute(
            "INSERT INTO clientes (id, nombre, telefono, consentimiento_marketing, canal_adquisicion, segmento, creado_en, actualizado_en)
             VALUES (?1, ?2, pii_seal(?3), 1, 'whatsapp', 'vip', 1, 1)",
            params![i, format!("Cliente{i} Pérez"), format!("+5199900{i:04}")],
        )?;
    }
    Ok(())
}

/// A manual campaign to every customer with the `promo` template; returns its id.
pub fn manual_campaign(
    c: &Connection,
    variables: &[&str],
    scheduled_for: Option<i64>,
    now: i64,
) -> Result<i64, AppError> {
    store::insert(
        c,
        &NewCampaign {
            nombre: "Prueba".into(),
            tipo: "manual".into(),
            audiencia: Audience::default(),
            plantilla: "promo".into(),
            idioma: "es".into(),
            variables: variables.iter().map(|v| (*v).to_owned()).collect(),
            programada_para: scheduled_for,
            creado_por: "test".into(),
        },
        now,
    )
}
