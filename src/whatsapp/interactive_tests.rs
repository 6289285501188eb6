//! Limits of interactive messages, truncation on character boundaries and emoji.

use super::*;

fn json(i: &Interactive) -> serde_json::Value {
    serde_json::to_value(i).expect("json")
}

#[test]
fn truncate_never_splits_characters_or_emoji_clusters() {
    assert_eq!(truncate("Confirmar", 20), "Confirmar");
    assert_eq!(truncate("Pollo a la brasa entero", 10), "Pollo a l…");
    assert_eq!(truncate("ñandú ñandú ñandú", 6), "ñandú…");
    // Family emoji: man ZWJ woman ZWJ girl — never leave half of it.
    let family = "ab👨\u{200D}👩\u{200D}👧";
    for max in 0..=12 {
        let t = truncate(family, max);
        assert!(t.encode_utf16().count() <= max, "{max}: {t}");
        assert!(!t.contains("\u{200D}…"), "{max}: {t:?}");
    }
    // Thumbs up with skin tone and a keycap: cut before the modifier drops the base too.
    assert_eq!(truncate("ok 👍🏽 listo", 6), "ok…");
    assert_eq!(truncate("1️⃣ uno", 3), "…");
    assert_eq!(truncate("café", 0), "");
    // Every prefix length of a mixed string is safe.
    let mixed = "Pollo 🍗 con papas 🍟 y chicha 🇵🇪 morada é\u{301}";
    for max in 0..60 {
        let t = truncate(mixed, max);
        assert!(t.encode_utf16().count() <= max);
    }
}

#[test]
fn reply_buttons_enforce_count_ids_and_unique_titles() {
    let ok = ReplyButtons::new("¿Confirmas tu pedido?")
        .button("c", "Confirmar")
        .button("e", "Cambiar")
        .button("x", "Cancelar")
        .build()
        .expect("3 buttons");
    assert_eq!(
        json(&ok)["action"]["buttons"].as_array().map(Vec::len),
        Some(3)
    );
    let four = ReplyButtons::new("b")
        .button("1", "a")
        .button("2", "b")
        .button("3", "c")
        .button("4", "d");
    assert_eq!(four.build(), Err(InteractiveError::ButtonCount(4)));
    assert_eq!(
        ReplyButtons::new("b").build(),
        Err(InteractiveError::ButtonCount(0))
    );
    assert_eq!(
        ReplyButtons::new("  ").button("1", "a").build(),
        Err(InteractiveError::EmptyBody)
    );
    let dup = ReplyButtons::new("b")
        .button("1", "Sí")
        .button("1", "No")
        .build();
    assert_eq!(dup, Err(InteractiveError::DuplicateId("1".into())));
    let long_id = ReplyButtons::new("b").button("x".repeat(257), "a").build();
    assert!(matches!(long_id, Err(InteractiveError::BadId(_))));
    // Titles equal after truncation to 20 are duplicates.
    let same = ReplyButtons::new("b")
        .button("1", "Pollo broaster entero grande")
        .button("2", "Pollo broaster entero chico")
        .build();
    assert!(matches!(same, Err(InteractiveError::DuplicateTitle(_))));
    let emoji = ReplyButtons::new("b")
        .button("1", "🍗🍗🍗🍗🍗🍗🍗🍗🍗🍗🍗🍗")
        .build()
        .expect("emoji");
    let title = json(&emoji)["action"]["buttons"][0]["reply"]["title"]
        .as_str()
        .map(str::to_owned)
        .expect("t");
    assert!(title.encode_utf16().count() <= 20, "{title}");
}

#[test]
fn lists_allow_ten_rows_in_total_and_truncate_texts() {
    let rows = |n: usize, p: &str| {
        (0..n)
            .map(|i| ListRow::new(format!("{p}{i}"), format!("Producto {i}")))
            .collect::<Vec<_>>()
    };
    let ten = ListMessage::new("Elige", "Ver menú")
        .section("Pollos", rows(6, "p"))
        .section("Bebidas", rows(4, "b"));
    assert!(ten.build().is_ok());
    let eleven = ListMessage::new("Elige", "Ver menú")
        .section("Pollos", rows(6, "p"))
        .section("Bebidas", rows(5, "b"));
    assert_eq!(eleven.build(), Err(InteractiveError::RowCount(11)));
    assert_eq!(
        ListMessage::new("Elige", "Ver").build(),
        Err(InteractiveError::SectionCount(0))
    );
    let empty_section = ListMessage::new("Elige", "Ver")
        .section("A", rows(1, "a"))
        .section("B", vec![]);
    assert_eq!(empty_section.build(), Err(InteractiveError::RowCount(1)));
    let dup = ListMessage::new("Elige", "Ver")
        .section("A", rows(2, "a"))
        .section("B", rows(2, "a"));
    assert_eq!(dup.build(), Err(InteractiveError::DuplicateId("a0".into())));
    let long = ListMessage::new("Elige", "Ver todo el menú del día de hoy")
        .header_text("h".repeat(100))
        .footer("f".repeat(100))
        .section(
            "Sección con un título demasiado largo",
            vec![
                ListRow::new("r", "Combo familiar con papas y gaseosa 🍗")
                    .description("d".repeat(100)),
            ],
        )
        .build()
        .expect("truncated, not refused");
    let v = json(&long);
    let len = |p: &str| {
        v.pointer(p)
            .and_then(|s| s.as_str())
            .map(|s| s.encode_utf16().count())
            .expect(p)
    };
    assert!(len("/action/button") <= 20);
    assert!(len("/header/text") <= 60);
    assert!(len("/footer/text") <= 60);
    assert!(len("/action/sections/0/title") <= 24);
    assert!(len("/action/sections/0/rows/0/title") <= 24);
    assert!(len("/action/sections/0/rows/0/description") <= 72);
    let too_long_row_id =
        ListMessage::new("b", "v").section("s", vec![ListRow::new("r".repeat(201), "t")]);
    assert!(matches!(
        too_long_row_id.build(),
        Err(InteractiveError::BadId(_))
    ));
}

#[test]
fn paginate_keeps_every_page_within_ten_rows() {
    let rows: Vec<ListRow> = (0..23)
        .map(|i| ListRow::new(format!("p{i}"), format!("P{i}")))
        .collect();
    let more = |p: usize| format!("menu:page:{p}");
    let (p0, more0) = paginate(&rows, 0, more);
    assert_eq!((p0.len(), more0), (10, true));
    assert_eq!(p0[9].id, "menu:page:1");
    let (p1, more1) = paginate(&rows, 1, more);
    assert_eq!((p1.len(), more1, p1[0].id.as_str()), (10, true, "p9"));
    let (p2, more2) = paginate(&rows, 2, more);
    assert_eq!((p2.len(), more2, p2[0].id.as_str()), (5, false, "p18"));
    assert_eq!(paginate(&rows, 99, more).0.len(), 0);
    assert_eq!(paginate(&rows[..10], 0, more), (rows[..10].to_vec(), false));
}
