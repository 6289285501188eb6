//! Integration tests for loyalty (stamps, rewards, ledger) and promotions, through the real
//! binary's API.

#[path = "../api/support.rs"]
mod support;

mod demo;
mod promotions;
mod settings_ui;
mod stamps;
mod ui;
mod wa_redeem;
mod whatsapp;

#[path = "../whatsapp/common.rs"]
mod wa_common;

#[path = "../ui/support.rs"]
mod ui_support;

use serde_json::{Value, json};
use support::{Api, Server, TestEnv};

/// A Gollos-like brand with a product in the `pollos` category and a customer.
pub struct Fx {
    pub server: Server,
    pub admin: String,
    pub other: String,
    pub product: String,
    pub price: i64,
    pub customer: String,
}

impl Fx {
    pub async fn new() -> Fx {
        let env = TestEnv::new();
        env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
        env.create_brand("goio", "Goio Store", "PE", "America/Lima", "PEN");
        let admin = env.token(Some("gollos"), "admin");
        let other = env.token(Some("goio"), "admin");
        let server = env.start();
        let api = server.api(Some(&admin));
        let p = api
            .post(
                "/api/marcas/gollos/productos",
                &json!({"sku": "POLLO-1", "nombre": "Pollo a la brasa", "categoria": "pollos", "precio": 5990}),
            )
            .await
            .ok(201);
        let c = api
            .post(
                "/api/marcas/gollos/clientes",
                &json!({"nombre": "Rosa Quispe", "telefono": support::pe_mobile()}),
            )
            .await
            .ok(201);
        Fx {
            admin,
            other,
            product: p["id"].as_str().unwrap().to_string(),
            price: 5990,
            customer: c["id"].as_str().unwrap().to_string(),
            server,
        }
    }

    pub fn api(&self) -> Api {
        self.server.api(Some(&self.admin))
    }

    pub async fn order(&self, qty: i64, confirm: bool) -> Value {
        self.api()
            .post(
                "/api/pedidos",
                &json!({"cliente_id": self.customer, "canal": "presencial", "confirmar": confirm,
                        "items": [{"producto_id": self.product, "cantidad": qty}]}),
            )
            .await
            .ok(201)
    }

    pub async fn points(&self) -> Value {
        self.api()
            .get(&format!("/api/clientes/{}/puntos", self.customer))
            .await
            .ok(200)
    }
}
