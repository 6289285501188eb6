//! Real phrasings against a Gollos Chicken's-like catalogue.

use super::*;

fn gollos() -> Vec<CatalogItem> {
    vec![
        CatalogItem::new("BROASTER", "Pollo broaster", &["broaster", "pollo frito"]),
        CatalogItem::new(
            "CUARTO",
            "1/4 Pollo a la brasa",
            &["cuarto de pollo", "1/4 de pollo con papas"],
        ),
        CatalogItem::new("MEDIO", "1/2 Pollo a la brasa", &["medio pollo"]),
        CatalogItem::new("ENTERO", "Pollo a la brasa entero", &["pollo entero"]),
        CatalogItem::new("FAMILIAR", "Combo familiar", &["familiar"]),
        CatalogItem::new("PERSONAL", "Combo personal", &[]),
        CatalogItem::new("INCA", "Inca Kola 1.5L", &["gaseosa"]),
        CatalogItem::new("COCA", "Coca-Cola 1.5L", &["coca", "gaseosa"]),
        CatalogItem::new("PAPAS", "Papas fritas", &["papitas", "papas"]),
        CatalogItem::new("CHICHA", "Chicha morada 1L", &["chicha", "jarra de chicha"]),
        CatalogItem::new("ALITAS", "Alitas BBQ x6", &["alitas"]),
        CatalogItem::new("ENSALADA", "Ensalada clásica", &["ensalada"]),
        CatalogItem::new("SALCHI", "Salchipapa", &[]),
    ]
}

fn lines(text: &str) -> Vec<(String, u32)> {
    let parsed = parse_order(text, &gollos());
    assert!(parsed.ambiguous.is_empty(), "{text}: {parsed:?}");
    assert!(parsed.unknown.is_empty(), "{text}: {parsed:?}");
    parsed
        .lines
        .into_iter()
        .map(|l| (l.sku, l.quantity))
        .collect()
}

fn l(items: &[(&str, u32)]) -> Vec<(String, u32)> {
    items.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect()
}

#[test]
fn thirty_plus_real_phrasings() {
    let cases: &[(&str, &[(&str, u32)])] = &[
        (
            "quiero 2 pollos broaster y una inca kola",
            &[("BROASTER", 2), ("INCA", 1)],
        ),
        ("dos combos familiares", &[("FAMILIAR", 2)]),
        ("me das 1/4 de pollo con papas", &[("CUARTO", 1)]),
        ("Hola! me manda 3 broaster porfa", &[("BROASTER", 3)]),
        (
            "un pollo entero y 2 chichas moradas",
            &[("ENTERO", 1), ("CHICHA", 2)],
        ),
        (
            "medio pollo con una coca cola",
            &[("MEDIO", 1), ("COCA", 1)],
        ),
        ("media docena de alitas", &[("ALITAS", 6)]),
        ("una docena de alitas bbq", &[("ALITAS", 12)]),
        ("2 inka kolas de litro y medio", &[("INCA", 2)]),
        (
            "3 papas fritas, 1 salchipapa",
            &[("PAPAS", 3), ("SALCHI", 1)],
        ),
        (
            "pollo broaster x2 + inca kola 1.5L",
            &[("BROASTER", 2), ("INCA", 1)],
        ),
        ("POLLO BROSTER", &[("BROASTER", 1)]),
        ("2 polos broaster", &[("BROASTER", 2)]),
        ("quiero un combo familar", &[("FAMILIAR", 1)]),
        ("tres cuartos de pollo", &[("CUARTO", 3)]),
        (
            "1 combo personal y 1 combo familiar",
            &[("PERSONAL", 1), ("FAMILIAR", 1)],
        ),
        ("una chicha", &[("CHICHA", 1)]),
        ("jarra de chicha morada", &[("CHICHA", 1)]),
        (
            "2 ensaladas y unas papitas",
            &[("ENSALADA", 2), ("PAPAS", 1)],
        ),
        ("5 alitas y 2 salchipapas", &[("ALITAS", 5), ("SALCHI", 2)]),
        ("inca kola 2", &[("INCA", 2)]),
        ("2x combo familiar", &[("FAMILIAR", 2)]),
        (
            "Un pollo a la brasa entero, dos inca kola y tres papas fritas",
            &[("ENTERO", 1), ("INCA", 2), ("PAPAS", 3)],
        ),
        (
            "quisiera 4 broasters con 4 chichas",
            &[("BROASTER", 4), ("CHICHA", 4)],
        ),
        ("1/2 pollo + 1/4 pollo", &[("MEDIO", 1), ("CUARTO", 1)]),
        (
            "un cuarto de pollo y una ensalada clásica",
            &[("CUARTO", 1), ("ENSALADA", 1)],
        ),
        (
            "dame 2 pollos broaster y 2 pollos broaster más",
            &[("BROASTER", 4)],
        ),
        ("diez alitas", &[("ALITAS", 10)]),
        ("veinte papas fritas", &[("PAPAS", 20)]),
        ("2 coca colas de 1.5", &[("COCA", 2)]),
        ("2 coca colas de 1,5 litros", &[("COCA", 2)]),
        (
            "buenas noches, para delivery: 1 COMBO FAMILIAR + 1 Inca Kola 1.5 L",
            &[("FAMILIAR", 1), ("INCA", 1)],
        ),
        (
            "2 pollos broaster 1 inca kola",
            &[("BROASTER", 2), ("INCA", 1)],
        ),
        ("pollo broaster inca kola", &[("BROASTER", 1), ("INCA", 1)]),
        ("un par de broaster", &[("BROASTER", 2)]),
        (
            "QUIERO DOS BROASTER Y UNA CHICHA MORADA PORFAVOR",
            &[("BROASTER", 2), ("CHICHA", 1)],
        ),
        ("2pollos broaster", &[("BROASTER", 2)]),
        ("otro combo personal", &[("PERSONAL", 1)]),
        ("quince alitas", &[("ALITAS", 15)]),
        (
            "1 pollo a la brasa entero con papitas",
            &[("ENTERO", 1), ("PAPAS", 1)],
        ),
    ];
    assert!(cases.len() >= 30);
    for (text, want) in cases {
        assert_eq!(lines(text), l(want), "{text}");
    }
}

#[test]
fn ambiguous_fragments_return_their_candidates() {
    let p = parse_order("pollo", &gollos());
    assert!(p.lines.is_empty());
    assert_eq!(p.ambiguous.len(), 1);
    assert_eq!(
        p.ambiguous[0].candidates,
        ["BROASTER", "CUARTO", "MEDIO", "ENTERO"]
    );
    assert_eq!(p.ambiguous[0].fragment, "pollo");

    let p = parse_order("quiero 2 pollos a la brasa y una chicha", &gollos());
    assert_eq!(
        p.lines,
        [OrderLine {
            sku: "CHICHA".into(),
            quantity: 1
        }]
    );
    assert_eq!(
        p.ambiguous,
        [Ambiguity {
            fragment: "2 pollos a la brasa".into(),
            quantity: 2,
            candidates: vec!["CUARTO".into(), "MEDIO".into(), "ENTERO".into()],
        }]
    );

    let p = parse_order("una gaseosa", &gollos());
    assert_eq!(p.ambiguous[0].candidates, ["INCA", "COCA"]);
    assert!(!p.is_complete() && !p.is_empty());

    // Two sizes of the same drink: ask; naming the size settles it.
    let mut two_sizes = gollos();
    two_sizes.push(CatalogItem::new(
        "INCA-500",
        "Inca Kola 500 ml",
        &["inca personal"],
    ));
    let p = parse_order("una inca kola", &two_sizes);
    assert_eq!(p.ambiguous[0].candidates, ["INCA", "INCA-500"]);
    let p = parse_order(
        "una inca kola de 500ml y una inca kola de litro y medio",
        &two_sizes,
    );
    assert_eq!(
        p.lines.iter().map(|l| l.sku.as_str()).collect::<Vec<_>>(),
        ["INCA-500", "INCA"]
    );
    assert!(p.ambiguous.is_empty());
}

#[test]
fn unknown_items_notes_and_chit_chat() {
    let p = parse_order("2 pollos broaster y una hamburguesa", &gollos());
    assert_eq!(
        p.lines,
        [OrderLine {
            sku: "BROASTER".into(),
            quantity: 2
        }]
    );
    assert_eq!(p.unknown, ["una hamburguesa"]);

    let p = parse_order("quiero 2 hamburguesas", &gollos());
    assert_eq!(p.unknown, ["2 hamburguesas"]);
    assert!(!p.is_empty());

    let p = parse_order("1 pollo broaster bien crocante sin ensalada", &gollos());
    assert_eq!(
        p.lines,
        [OrderLine {
            sku: "BROASTER".into(),
            quantity: 1
        }]
    );
    assert_eq!(p.notes, ["crocante", "sin ensalada"]);
    // A loose remark after a comma is not a product: reported so the bot can ask or note it.
    let p = parse_order("1 pollo broaster, bien crocante", &gollos());
    assert_eq!(p.unknown, ["crocante"]);

    for chat in [
        "hola buenas noches",
        "¿a qué hora cierran?",
        "gracias!!",
        "",
        "   ",
        "👍",
    ] {
        assert!(parse_order(chat, &gollos()).is_empty(), "{chat}");
    }
    let p = parse_order("pollo broaster", &gollos());
    assert!(p.is_complete());
}

#[test]
fn never_panics_on_odd_input() {
    let catalogue = gollos();
    let odd = [
        "🍗🍗 x2!!!",
        "1/",
        "/1",
        "1..5l",
        ",,,",
        "x",
        "x x x 2",
        "999999999999 pollos",
        "0 pollos",
        "1e9 alitas",
        "media",
        "docena",
        "docena docena docena",
        "litro y",
        "litro y medio",
        "y y y con con",
        "sin",
        "sin sin",
        "2 2 2 2",
        "ñ",
        "é\u{301}",
        "\u{0}",
        "1,5",
        "1.5.5 l",
        "x999 broaster",
        "x1000 broaster",
        "1000000 ml de chicha",
    ];
    for text in odd {
        let _ = parse_order(text, &catalogue);
        let _ = parse_order(text, &[]);
    }
    // Pseudo-random strings over a nasty alphabet (deterministic LCG, no extra crates).
    let alphabet: Vec<char> = "ab pollo1/2,.+xy🍗é\u{200D}ñ 0 9 docena media litro con sin"
        .chars()
        .collect();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..800 {
        let mut s = String::new();
        for _ in 0..(seed % 40) {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
        }
        let _ = parse_order(&s, &catalogue);
    }
}

#[test]
fn zero_and_huge_quantities_are_passed_through_for_the_bot_to_judge() {
    let p = parse_order("0 pollos broaster", &gollos());
    assert_eq!(
        p.lines,
        [OrderLine {
            sku: "BROASTER".into(),
            quantity: 0
        }]
    );
    let p = parse_order("999 alitas", &gollos());
    assert_eq!(p.lines[0].quantity, 999);
}

#[test]
fn texts_parsed_ahead_are_used_only_against_the_same_catalogue() {
    let text = "2 broaster y una chicha";
    let ahead = Preparsed::new(gollos(), [text]);
    assert_eq!(ahead.parse(text, &gollos()), parse_order(text, &gollos()));
    assert_eq!(ahead.parse(text, &gollos()).lines.len(), 2);
    // The chicha left the catalogue between the read and the write: parsed again.
    let without_chicha: Vec<CatalogItem> =
        gollos().into_iter().filter(|i| i.sku != "CHICHA").collect();
    let again = ahead.parse(text, &without_chicha);
    assert_eq!(again, parse_order(text, &without_chicha));
    assert_eq!(again.lines.len(), 1, "{again:?}");
    // A text not parsed ahead is parsed in place.
    assert_eq!(
        ahead.parse("un medio pollo", &gollos()),
        parse_order("un medio pollo", &gollos())
    );
}
