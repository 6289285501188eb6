//! The API reference: `/api/openapi.json` and a `/docs` page rendered from it on the server,
//! so it needs no JavaScript and no internet.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;

pub async fn openapi_json(State(state): State<AppState>) -> Response {
    axum::Json(state.openapi.as_ref().clone()).into_response()
}

#[derive(Serialize)]
struct Operation {
    method: String,
    path: String,
    summary: String,
    tag: String,
    params: Vec<String>,
    body: Option<String>,
    responses: Vec<String>,
}

pub async fn page(State(state): State<AppState>) -> Result<Html<String>, AppError> {
    let doc = serde_json::to_value(state.openapi.as_ref()).map_err(AppError::internal)?;
    let mut operations = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, op) in methods {
                let params = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                format!(
                                    "{} ({})",
                                    p["name"].as_str().unwrap_or(""),
                                    p["in"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| rs.keys().cloned().collect())
                    .unwrap_or_default();
                operations.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"]
                        .as_str()
                        .or(op["description"].as_str())
                        .unwrap_or("")
                        .to_string(),
                    tag: op["tags"][0].as_str().unwrap_or("").to_string(),
                    params,
                    body,
                    responses,
                });
            }
        }
    }
    let schemas: Vec<(String, String)> = doc["components"]["schemas"]
        .as_object()
        .map(|s| {
            s.iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(schema).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    crate::web::render(
        "docs.html",
        context! { title => doc["info"]["title"], description => doc["info"]["description"],
        version => doc["info"]["version"], operations, schemas },
    )
}
