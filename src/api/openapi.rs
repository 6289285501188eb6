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
