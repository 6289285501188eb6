//! Goio™ Store: a Lima tech shop (phones, audio, chargers, laptops, accessories), priced in
//! céntimos of PEN like Lima retailers, with live stock and warranty months.

use super::catalog::ProductSpec as P;
use super::catalog::Stock::Between;

const PHONE_APPLE: &[(&str, u8)] = &[
    ("GIO-ACC-CASE15", 45),
    ("GIO-ACC-VIDRIO", 40),
    ("GIO-CAR-APL20", 35),
    ("GIO-AUD-APP2", 8),
];
const PHONE_ANDROID: &[(&str, u8)] = &[
    ("GIO-ACC-FUNDA", 40),
    ("GIO-ACC-VIDRIO", 40),
    ("GIO-CAR-SAM25", 25),
    ("GIO-AUD-BUDSFE", 6),
];
const LAPTOP: &[(&str, u8)] = &[
    ("GIO-ACC-MOUSE", 45),
    ("GIO-ACC-MOCHILA", 30),
    ("GIO-ACC-HUB", 15),
];

#[rustfmt::skip]
pub static CATALOG: &[P] = &[
    P::new("GIO-CEL-IP16P", "iPhone 16 Pro 256 GB Titanio", "Smartphones", 599_900, Between(0, 12), r#"{"garantia_meses":12,"marca":"Apple","almacenamiento_gb":256}"#).w(5, 0).with(PHONE_APPLE).launched(4),
    P::new("GIO-CEL-IP15", "iPhone 15 128 GB", "Smartphones", 399_900, Between(3, 25), r#"{"garantia_meses":12,"marca":"Apple","almacenamiento_gb":128}"#).w(9, 0).with(PHONE_APPLE),
    P::new("GIO-CEL-IP13", "iPhone 13 128 GB", "Smartphones", 279_900, Between(0, 0), r#"{"garantia_meses":12,"marca":"Apple","almacenamiento_gb":128}"#).w(6, 0).with(PHONE_APPLE).discontinued(5),
    P::new("GIO-CEL-S24FE", "Samsung Galaxy S24 FE 256 GB", "Smartphones", 249_900, Between(2, 20), r#"{"garantia_meses":12,"marca":"Samsung","almacenamiento_gb":256}"#).w(8, 0).with(PHONE_ANDROID).launched(9),
    P::new("GIO-CEL-A55", "Samsung Galaxy A55 5G 256 GB", "Smartphones", 159_900, Between(5, 40), r#"{"garantia_meses":12,"marca":"Samsung","almacenamiento_gb":256}"#).w(14, 0).with(PHONE_ANDROID),
    P::new("GIO-CEL-RN13P", "Xiaomi Redmi Note 13 Pro 256 GB", "Smartphones", 119_900, Between(5, 45), r#"{"garantia_meses":12,"marca":"Xiaomi","almacenamiento_gb":256}"#).w(15, 0).with(PHONE_ANDROID),
    P::new("GIO-CEL-R13C", "Xiaomi Redmi 13C 128 GB", "Smartphones", 49_900, Between(10, 60), r#"{"garantia_meses":12,"marca":"Xiaomi","almacenamiento_gb":128}"#).w(16, 0).with(PHONE_ANDROID),
    P::new("GIO-CEL-G84", "Motorola Moto G84 5G 256 GB", "Smartphones", 89_900, Between(0, 0), r#"{"garantia_meses":12,"marca":"Motorola","almacenamiento_gb":256}"#).w(8, 0).with(PHONE_ANDROID),
    P::new("GIO-AUD-APP2", "AirPods Pro (2.ª generación) USB-C", "Audífonos", 99_900, Between(2, 18), r#"{"garantia_meses":12,"marca":"Apple","inalambrico":true}"#).w(6, 2),
    P::new("GIO-AUD-BUDSFE", "Samsung Galaxy Buds FE", "Audífonos", 34_900, Between(4, 30), r#"{"garantia_meses":12,"marca":"Samsung","inalambrico":true}"#).w(6, 2),
    P::new("GIO-AUD-XM5", "Sony WH-1000XM5 con cancelación de ruido", "Audífonos", 149_900, Between(0, 6), r#"{"garantia_meses":12,"marca":"Sony","inalambrico":true}"#).w(3, 0),
    P::new("GIO-AUD-JBL520", "JBL Tune 520BT", "Audífonos", 22_900, Between(6, 50), r#"{"garantia_meses":6,"marca":"JBL","inalambrico":true}"#).w(9, 2),
    P::new("GIO-AUD-RB5", "Xiaomi Redmi Buds 5", "Audífonos", 14_900, Between(8, 70), r#"{"garantia_meses":6,"marca":"Xiaomi","inalambrico":true}"#).w(10, 3),
    P::new("GIO-AUD-FLIP6", "Parlante JBL Flip 6", "Audífonos", 54_900, Between(1, 15), r#"{"garantia_meses":12,"marca":"JBL","resistente_agua":"IP67"}"#).w(4, 1),
    P::new("GIO-CAR-SAM25", "Cargador Samsung 25 W USB-C", "Cargadores", 7_900, Between(20, 150), r#"{"garantia_meses":6,"potencia_w":25}"#).w(8, 6),
    P::new("GIO-CAR-APL20", "Cargador Apple 20 W USB-C", "Cargadores", 11_900, Between(10, 90), r#"{"garantia_meses":6,"potencia_w":20}"#).w(6, 5),
    P::new("GIO-CAR-ANK10K", "Power bank Anker PowerCore 10 000 mAh", "Cargadores", 13_900, Between(5, 60), r#"{"garantia_meses":12,"capacidad_mah":10000}"#).w(5, 3),
    P::new("GIO-CAR-INAL", "Cargador inalámbrico 15 W", "Cargadores", 9_900, Between(0, 3), r#"{"garantia_meses":6,"potencia_w":15}"#).w(3, 2),
    P::new("GIO-CAR-CLTG", "Cable USB-C a Lightning 1 m", "Cargadores", 8_900, Between(15, 120), r#"{"garantia_meses":3}"#).w(4, 7),
    P::new("GIO-CAR-CUSBC", "Cable USB-C a USB-C trenzado 2 m", "Cargadores", 3_900, Between(30, 300), r#"{"garantia_meses":3}"#).w(6, 10),
    P::new("GIO-LAP-MBA13", "MacBook Air 13\" M3 16 GB 256 GB", "Laptops", 549_900, Between(0, 6), r#"{"garantia_meses":12,"marca":"Apple","ram_gb":16}"#).w(3, 0).with(LAPTOP),
    P::new("GIO-LAP-IDEA3", "Lenovo IdeaPad Slim 3 Ryzen 5 16 GB 512 GB", "Laptops", 229_900, Between(1, 12), r#"{"garantia_meses":24,"marca":"Lenovo","ram_gb":16}"#).w(5, 0).with(LAPTOP),
    P::new("GIO-LAP-VIC15", "HP Victus 15 Core i5 RTX 4050", "Laptops", 389_900, Between(0, 5), r#"{"garantia_meses":12,"marca":"HP","ram_gb":16,"gamer":true}"#).w(3, 0).with(LAPTOP),
    P::new("GIO-LAP-VIVO15", "ASUS Vivobook 15 Core i5 8 GB 512 GB", "Laptops", 259_900, Between(1, 10), r#"{"garantia_meses":12,"marca":"ASUS","ram_gb":8}"#).w(4, 0).with(LAPTOP),
    P::new("GIO-ACC-CASE15", "Case de silicona MagSafe iPhone 15", "Accesorios", 5_900, Between(10, 80), r#"{"garantia_meses":3}"#).w(2, 6),
    P::new("GIO-ACC-VIDRIO", "Protector de pantalla de vidrio templado", "Accesorios", 2_900, Between(40, 400), r#"{"garantia_meses":0,"instalacion_gratis":true}"#).w(3, 14),
    P::new("GIO-ACC-FUNDA", "Funda antigolpes para Galaxy y Redmi", "Accesorios", 4_900, Between(20, 150), r#"{"garantia_meses":3}"#).w(2, 8),
    P::new("GIO-ACC-MOUSE", "Mouse inalámbrico Logitech M185", "Accesorios", 5_900, Between(15, 90), r#"{"garantia_meses":12,"marca":"Logitech"}"#).w(4, 5),
    P::new("GIO-ACC-TECL", "Teclado Bluetooth Logitech K380", "Accesorios", 17_900, Between(3, 25), r#"{"garantia_meses":12,"marca":"Logitech"}"#).w(3, 2),
    P::new("GIO-ACC-MOCHILA", "Mochila para laptop 15.6\" impermeable", "Accesorios", 14_900, Between(5, 40), r#"{"garantia_meses":6}"#).w(2, 3),
    P::new("GIO-ACC-HUB", "Hub USB-C 7 en 1 con HDMI", "Accesorios", 12_900, Between(4, 30), r#"{"garantia_meses":6}"#).w(2, 2),
    P::new("GIO-WEA-BAND8", "Xiaomi Smart Band 8", "Accesorios", 16_900, Between(6, 40), r#"{"garantia_meses":12,"marca":"Xiaomi"}"#).w(6, 1),
    P::new("GIO-WEA-AWSE", "Apple Watch SE 40 mm", "Accesorios", 129_900, Between(0, 8), r#"{"garantia_meses":12,"marca":"Apple"}"#).w(3, 0),
];
