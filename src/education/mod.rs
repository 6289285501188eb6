//! Education series (series educativas, issue 7.3): a sequence of sustainability messages
//! sent on a schedule to customers who accepted marketing messages. Staff define a series and
//! its steps, enrol customers (or let the job enrol every opted-in customer), and follow each
//! customer's progress and replies. The `series_educativas` job sends at most one step per
//! enrolment and run through the WhatsApp outbox (free text inside the 24-hour window, the
//! step's approved template outside it); a withdrawn consent ends the enrolment.

pub mod api;
pub mod job;
pub mod pages;
pub mod store;

use serde::Serialize;
use utoipa::ToSchema;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A series in the list, with its counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeriesSummary {
    pub id: i64,
    pub nombre: String,
    pub descripcion: String,
    pub activa: bool,
    pub auto_inscribir: bool,
    pub pasos: i64,
    pub inscritos: i64,
    pub completados: i64,
    pub respuestas: i64,
}

/// One step of a series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Step {
    pub id: i64,
    pub orden: i64,
    /// Days after the previous step (after enrolment for the first).
    pub dias: i64,
    /// Approved WhatsApp template sent outside the 24-hour window.
    pub plantilla: Option<String>,
    pub idioma: String,
    pub texto: String,
    pub enviados: i64,
    pub respuestas: i64,
}

/// One customer's progress in a series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    pub id: i64,
    /// Public customer id, e.g. `cli_eco_7`.
    pub cliente_id: String,
    pub cliente: String,
    /// `activa`, `completada` or `baja`.
    pub estado: String,
    pub pasos_enviados: i64,
    pub proximo_en: Option<i64>,
    pub origen: String,
    pub consentimiento: bool,
    /// The customer's last reply to a step of this series, with the step's number.
    pub ultima_respuesta: Option<String>,
    pub respuesta_paso: Option<i64>,
    pub respondido_en: Option<i64>,
}

/// A series with its steps and every enrolment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Series {
    #[serde(flatten)]
    pub resumen: SeriesSummary,
    pub pasos_detalle: Vec<Step>,
    pub inscripciones: Vec<Enrolment>,
}

/// What one job run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Outcome {
    /// Customers enrolled automatically.
    pub inscritos: i64,
    pub enviados: i64,
    /// Due but not sendable now (no WhatsApp, or window closed and no template): retried.
    pub en_espera: i64,
    pub completados: i64,
    /// Enrolments ended because the customer withdrew marketing consent.
    pub bajas: i64,
}

impl Outcome {
    pub fn describe(&self) -> String {
        format!(
            "{} inscritos, {} enviados, {} en espera, {} completados, {} bajas / enrolled, sent, held, completed, opted out",
            self.inscritos, self.enviados, self.en_espera, self.completados, self.bajas
        )
    }
}
