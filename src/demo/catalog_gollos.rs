//! Gollos Chicken's menu: a Lima pollería (pollo a la brasa, broaster, combos, drinks).
//! Prices in céntimos of PEN, close to what Lima pollerías charge.

use super::catalog::ProductSpec as P;
use super::catalog::Stock::{Between, Untracked};

const BEBIDAS: &[(&str, u8)] = &[("GOL-BEB-IK15", 35), ("GOL-BEB-CHI1L", 20)];
const PERSONAL: &[(&str, u8)] = &[("GOL-BEB-IK500", 35), ("GOL-BEB-CHIV", 15)];

#[rustfmt::skip]
pub static CATALOG: &[P] = &[
    P::new("GOL-POL-018", "1/8 Pollo a la brasa con papas y ensalada", "Pollo a la brasa", 1590, Untracked, r#"{"porciones":1,"presa":"pierna o pecho"}"#).w(6, 0).with(PERSONAL),
    P::new("GOL-POL-025", "1/4 Pollo a la brasa con papas y ensalada", "Pollo a la brasa", 2290, Untracked, r#"{"porciones":1,"tiempo_preparacion_min":15}"#).w(22, 0).with(PERSONAL),
    P::new("GOL-POL-050", "1/2 Pollo a la brasa con papas y ensalada", "Pollo a la brasa", 3990, Untracked, r#"{"porciones":2,"tiempo_preparacion_min":15}"#).w(18, 0).with(&[("GOL-BEB-IK15", 30), ("GOL-BEB-CHI1L", 15), ("GOL-PAP-PER", 10)]),
    P::new("GOL-POL-100", "Pollo a la brasa entero con papas familiares y ensalada", "Pollo a la brasa", 6990, Untracked, r#"{"porciones":4,"tiempo_preparacion_min":20}"#).w(16, 0).with(BEBIDAS),
    P::new("GOL-CMB-FAM", "Combo Familiar: 1 pollo + papas familiares + ensalada + Inca Kola 1.5 L", "Combos familiares", 8490, Untracked, r#"{"porciones":4,"incluye":["GOL-POL-100","GOL-BEB-IK15"]}"#).w(14, 0).with(&[("GOL-POS-PIC", 12), ("GOL-ALI-6", 8)]),
    P::new("GOL-CMB-MEGA", "Combo Mega Familiar: 2 pollos + papas + ensalada + 2 gaseosas 1.5 L", "Combos familiares", 15990, Untracked, r#"{"porciones":8}"#).w(4, 0).with(&[("GOL-POS-TRE", 15)]),
    P::new("GOL-CMB-DUO", "Combo Dúo: 1/2 pollo + papas + 2 chichas moradas", "Combos familiares", 4990, Untracked, r#"{"porciones":2}"#).w(9, 0).with(&[("GOL-POS-SUS", 15)]),
    P::new("GOL-CMB-PER", "Combo Personal: 1/4 pollo + papas + bebida 500 ml", "Combos familiares", 2690, Untracked, r#"{"porciones":1}"#).w(12, 0),
    P::new("GOL-CMB-MAR", "Martes 2x1: dos 1/4 de pollo con papas", "Combos familiares", 2990, Untracked, r#"{"porciones":2,"dia":"martes"}"#).w(3, 0).launched(4),
    P::new("GOL-BRO-2", "Broaster 2 piezas con papas", "Broaster", 1890, Untracked, r#"{"piezas":2}"#).w(7, 0).with(PERSONAL),
    P::new("GOL-BRO-4", "Broaster 4 piezas con papas", "Broaster", 3490, Untracked, r#"{"piezas":4}"#).w(5, 0).with(BEBIDAS),
    P::new("GOL-BRO-8", "Bucket Broaster 8 piezas", "Broaster", 6290, Untracked, r#"{"piezas":8}"#).w(3, 0).with(BEBIDAS),
    P::new("GOL-ALI-6", "Alitas BBQ x6", "Alitas", 2190, Untracked, r#"{"piezas":6,"salsa":"bbq"}"#).w(5, 8),
    P::new("GOL-ALI-12", "Alitas acevichadas x12", "Alitas", 3990, Untracked, r#"{"piezas":12,"salsa":"acevichada"}"#).w(3, 3),
    P::new("GOL-ALI-PIC", "Alitas picantes x6", "Alitas", 2190, Untracked, r#"{"piezas":6,"picante":true}"#).w(2, 4),
    P::new("GOL-PAP-PER", "Papas fritas personales", "Papas y acompañamientos", 890, Untracked, "{}").w(0, 14),
    P::new("GOL-PAP-FAM", "Papas fritas familiares", "Papas y acompañamientos", 1690, Untracked, "{}").w(0, 8),
    P::new("GOL-YUC", "Yuquitas fritas con salsa huancaína", "Papas y acompañamientos", 990, Untracked, "{}").w(0, 5),
    P::new("GOL-CHA", "Chaufa de pollo", "Papas y acompañamientos", 1990, Untracked, "{}").w(3, 4),
    P::new("GOL-ENS-CLA", "Ensalada clásica", "Ensaladas", 990, Untracked, r#"{"vegetariano":true}"#).w(0, 6),
    P::new("GOL-ENS-RUS", "Ensalada rusa", "Ensaladas", 1090, Untracked, r#"{"vegetariano":true}"#).w(0, 3),
    P::new("GOL-ENS-CES", "Ensalada César con pollo a la parrilla", "Ensaladas", 1990, Untracked, "{}").w(3, 1),
    P::new("GOL-BEB-IK500", "Inca Kola 500 ml", "Bebidas", 450, Between(40, 240), "{}").w(0, 18),
    P::new("GOL-BEB-IK15", "Inca Kola 1.5 L", "Bebidas", 990, Between(30, 160), "{}").w(0, 14),
    P::new("GOL-BEB-CC500", "Coca-Cola 500 ml", "Bebidas", 450, Between(40, 240), "{}").w(0, 12),
    P::new("GOL-BEB-CC15", "Coca-Cola 1.5 L", "Bebidas", 990, Between(30, 160), "{}").w(0, 9),
    P::new("GOL-BEB-CHI1L", "Chicha morada de la casa 1 L", "Bebidas", 1290, Untracked, r#"{"hecho_en_casa":true}"#).w(0, 10),
    P::new("GOL-BEB-CHIV", "Chicha morada vaso 500 ml", "Bebidas", 590, Untracked, r#"{"hecho_en_casa":true}"#).w(0, 8),
    P::new("GOL-BEB-LIM", "Limonada frozen", "Bebidas", 990, Untracked, "{}").w(0, 6),
    P::new("GOL-BEB-AGU", "Agua San Mateo 600 ml", "Bebidas", 350, Between(20, 200), "{}").w(0, 4),
    P::new("GOL-BEB-GUA", "Guaraná 1.5 L", "Bebidas", 890, Between(0, 4), "{}").w(0, 2).discontinued(2),
    P::new("GOL-POS-SUS", "Suspiro limeño", "Postres", 990, Untracked, "{}").w(0, 5),
    P::new("GOL-POS-COM", "Combinado: mazamorra morada y arroz con leche", "Postres", 890, Untracked, "{}").w(0, 5),
    P::new("GOL-POS-TRE", "Torta tres leches", "Postres", 1190, Untracked, "{}").w(0, 4),
    P::new("GOL-POS-PIC", "Picarones con miel de chancaca (4 unid.)", "Postres", 1290, Untracked, "{}").w(0, 4),
    P::new("GOL-EXT-AJI", "Ají de la casa extra", "Papas y acompañamientos", 150, Untracked, r#"{"picante":true}"#).w(0, 7),
];
