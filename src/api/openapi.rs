//! The OpenAPI document, assembled from the annotated handlers of every domain.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Autónomo API",
        description = "CRM multi-marca: marcas, clientes, productos, pedidos e interacciones. \
            Errors are application/problem+json; send `Accept-Language: en` for English messages.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "marcas", description = "Brands"),
        (name = "clientes", description = "Customers"),
        (name = "productos", description = "Products"),
        (name = "pedidos", description = "Orders"),
        (name = "interacciones", description = "Interactions"),
        (name = "sistema", description = "Health and metadata"),
        (name = "metricas", description = "Metrics, reports, segments, RFM and CLV"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents the answers every operation can give whatever its handler says: 400 (a
/// malformed body, query or path), 401 (no credentials, on secured operations), 403 (not
/// enough access), 413 (body over the limit) and 503 (timeout or shutting down), so clients and
/// spec-driven fuzzers (schemathesis) do not meet undocumented status codes.
pub fn with_common_errors(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::ResponseBuilder;
    let common = [
        ("400", "Malformed request (problem+json)", false),
        ("401", "Authentication required (problem+json)", true),
        ("403", "Not enough access (problem+json)", true),
        ("413", "Request body too large (problem+json)", false),
        ("503", "Timed out or shutting down (problem+json)", false),
    ];
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_params = path.contains('{');
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            // Bodies and query parameters are validated beyond what the schema can say.
            let has_body = op.request_body.is_some() || op.parameters.is_some();
            let by_shape = [
                ("404", "Not found (problem+json)", has_params),
                ("422", "Invalid fields (problem+json)", has_body),
            ];
            for (code, description, applies) in by_shape {
                if applies {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .build()
                                .into()
                        });
                }
            }
            for (code, description, needs_auth) in common {
                if needs_auth && !secured {
                    continue;
                }
                op.responses
                    .responses
                    .entry(code.to_string())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(description)
                            .build()
                            .into()
                    });
            }
        }
    }
    openapi
}
