//! Turns Spanish order text into tokens: quantities, normalised words (lowercase, no accents,
//! singular, sizes in ml, fractions), separators and "sin …" note starts, each with its byte span.

use super::vocabulary::{CONNECTORS, MAX_QTY, NUMBER_WORDS, STOPWORDS};

/// What a token means for the order parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// An explicit amount: "2", "dos", "una", "media docena", "x3".
    Qty(u32),
    /// A product word, already normalised (`pollos` → `pollo`, `1,5 litros` → `1500ml`, `medio` → `1/2`).
    Word(String),
    /// Ends an item: punctuation or a connector word (`y`, `con`, `más`, …).
    Sep { word: bool },
    /// `sin`: what follows, up to the next separator, is a note ("sin ensalada").
    NoteStart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: Kind,
    /// Byte span in the original text, to quote fragments back to the customer.
    pub start: usize,
    pub end: usize,
}

/// Lowercase without accents (`Ñ` → `n`), so "Ají" and "aji" are the same word.
pub(super) fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// Crude Spanish singular, applied alike to the text and the catalogue, so it only has to be consistent.
pub(super) fn singular(w: &str) -> String {
    let n = w.chars().count();
    if n > 4 && w.ends_with("es") {
        let stem = &w[..w.len() - 2];
        if stem.ends_with(['r', 'l', 'n', 'd', 'j']) {
            return stem.to_owned();
        }
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") {
        return w[..w.len() - 1].to_owned();
    }
    w.to_owned()
}

/// Raw pieces of the text: (normalised text, start, end); `None` text marks punctuation separators.
fn pieces(text: &str) -> Vec<(Option<String>, usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        let prev_digit = i > 0 && chars[i - 1].1.is_ascii_digit();
        let next_digit = chars.get(i + 1).is_some_and(|&(_, n)| n.is_ascii_digit());
        let inside_number = matches!(c, '/' | '.' | ',') && prev_digit && next_digit;
        if c.is_alphanumeric() || inside_number {
            start.get_or_insert(b);
        } else {
            if let Some(s) = start.take() {
                out.push((Some(fold(&text[s..b]).replace(',', ".")), s, b));
            }
            if matches!(
                c,
                ',' | ';' | '+' | '&' | '.' | '!' | '?' | '\n' | '¿' | '¡'
            ) {
                out.push((None, b, end_of(i + 1)));
            }
        }
        i += 1;
    }
    if let Some(s) = start {
        out.push((Some(fold(&text[s..]).replace(',', ".")), s, text.len()));
    }
    split_glued_numbers(out)
}

/// "2pollos" → "2" "pollos"; sizes ("500ml") and multipliers ("x2", "2x") stay whole.
fn split_glued_numbers(
    pieces: Vec<(Option<String>, usize, usize)>,
) -> Vec<(Option<String>, usize, usize)> {
    let mut out = Vec::with_capacity(pieces.len());
    for (text, s, e) in pieces {
        let Some(t) = text else {
            out.push((None, s, e));
            continue;
        };
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let rest = &t[digits..];
        let glued = digits > 0
            && rest.chars().next().is_some_and(char::is_alphabetic)
            && rest != "x"
            && size_ml(&t).is_none();
        if glued {
            out.push((Some(t[..digits].to_owned()), s, s + digits));
            out.push((Some(rest.to_owned()), s + digits, e));
        } else {
            out.push((Some(t), s, e));
        }
    }
    out
}

fn unit_ml(unit: &str) -> Option<f64> {
    match unit {
        "l" | "lt" | "lts" | "litro" | "litros" => Some(1000.0),
        "ml" | "cc" | "mililitro" | "mililitros" => Some(1.0),
        _ => None,
    }
}

/// "1.5l", "500ml", "2lts" → millilitres.
fn size_ml(t: &str) -> Option<u32> {
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = t.split_at(split);
    ml_from(num, unit_ml(unit)?)
}

fn ml_from(num: &str, factor: f64) -> Option<u32> {
    let v: f64 = num.parse().ok()?;
    let ml = (v * factor).round();
    // Sizes are small; anything else is not a size. The f64 here is a size, never money.
    (ml > 0.0 && ml < 100_000.0).then_some(ml as u32)
}

fn size_word(ml: u32) -> Kind {
    Kind::Word(format!("{ml}ml"))
}

fn number_word(w: &str) -> Option<u32> {
    NUMBER_WORDS.iter().find(|(k, _)| *k == w).map(|&(_, n)| n)
}

/// Tokenises order text (or a catalogue name: then use [`name_words`]).
pub(super) fn tokenize(text: &str) -> Vec<Token> {
    let ps = pieces(text);
    let mut out: Vec<Token> = Vec::with_capacity(ps.len());
    let word =
        |ps: &[(Option<String>, usize, usize)], i: usize| ps.get(i).and_then(|p| p.0.clone());
    let mut i = 0;
    while i < ps.len() {
        let (text, s, e) = (&ps[i].0, ps[i].1, ps[i].2);
        let Some(w) = text.as_deref() else {
            out.push(Token {
                kind: Kind::Sep { word: false },
                start: s,
                end: e,
            });
            i += 1;
            continue;
        };
        let next = word(&ps, i + 1);
        let next2 = word(&ps, i + 2);
        let last_qty = match out.last() {
            Some(Token {
                kind: Kind::Qty(n),
                end,
                ..
            }) if ps[..i].last().is_some_and(|p| p.2 == *end) => Some(*n),
            _ => None,
        };
        // Phrases first: they span several pieces.
        if (w == "media" || w == "medio")
            && next.as_deref().is_some_and(|n| n.starts_with("docena"))
        {
            out.push(Token {
                kind: Kind::Qty(6),
                start: s,
                end: ps[i + 1].2,
            });
            i += 2;
            continue;
        }
        if (w == "litro" || w == "litros")
            && next.as_deref() == Some("y")
            && next2.as_deref() == Some("medio")
        {
            let end = ps[i + 2].2;
            merge_into_previous_qty(&mut out, last_qty, size_word(1500), s, end);
            i += 3;
            continue;
        }
        if (w == "medio" || w == "media")
            && next.as_deref().is_some_and(|n| unit_ml(n) == Some(1000.0))
        {
            out.push(Token {
                kind: size_word(500),
                start: s,
                end: ps[i + 1].2,
            });
            i += 2;
            continue;
        }
        if w == "x"
            && next
                .as_deref()
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n <= MAX_QTY)
        {
            let n = next.as_deref().and_then(|n| n.parse().ok()).unwrap_or(1);
            out.push(Token {
                kind: Kind::Qty(n),
                start: s,
                end: ps[i + 1].2,
            });
            i += 2;
            continue;
        }
        if w.starts_with("docena") {
            merge_into_previous_qty(
                &mut out,
                last_qty,
                Kind::Qty(last_qty.unwrap_or(1).saturating_mul(12)),
                s,
                e,
            );
            i += 1;
            continue;
        }
        if w == "par" {
            merge_into_previous_qty(
                &mut out,
                last_qty,
                Kind::Qty(last_qty.unwrap_or(1).saturating_mul(2)),
                s,
                e,
            );
            i += 1;
            continue;
        }
        if let Some(factor) = unit_ml(w) {
            // "2 litros" → 2000ml, "litro" → 1000ml.
            let ml = ml_from(&last_qty.unwrap_or(1).to_string(), factor).unwrap_or(1000);
            merge_into_previous_qty(&mut out, last_qty, size_word(ml), s, e);
            i += 1;
            continue;
        }
        let is_number = !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if let Some(factor) = next.as_deref().and_then(unit_ml).filter(|_| is_number) {
            // "1.5 litros", "500 ml": a number followed by a unit is a size.
            let kind = ml_from(w, factor).map_or_else(|| Kind::Word(w.to_owned()), size_word);
            out.push(Token {
                kind,
                start: s,
                end: ps[i + 1].2,
            });
            i += 2;
            continue;
        }
        if let Some(kind) = classify(w, next.as_deref()) {
            out.push(Token {
                kind,
                start: s,
                end: e,
            });
        }
        i += 1;
    }
    out
}

/// Replaces the quantity just emitted ("un" in "un litro", "dos" in "dos docenas") by `kind`.
fn merge_into_previous_qty(
    out: &mut Vec<Token>,
    last_qty: Option<u32>,
    kind: Kind,
    start: usize,
    end: usize,
) {
    let start = match last_qty.and_then(|_| out.pop()) {
        Some(prev) => prev.start,
        None => start,
    };
    out.push(Token { kind, start, end });
}

fn classify(w: &str, next: Option<&str>) -> Option<Kind> {
    if w.chars().all(|c| c.is_ascii_digit()) {
        return Some(match w.parse::<u32>() {
            Ok(n) if n <= MAX_QTY => Kind::Qty(n),
            _ => Kind::Word(w.to_owned()),
        });
    }
    let multiplier = w.strip_suffix('x').or_else(|| w.strip_prefix('x'));
    if let Some(n) = multiplier
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n <= MAX_QTY)
    {
        return Some(Kind::Qty(n));
    }
    if let Some(ml) = size_ml(w) {
        return Some(size_word(ml));
    }
    if let Some(n) = number_word(w) {
        // "otro dos" → just the number.
        if (w == "otro" || w == "otra") && next.and_then(number_word).is_some() {
            return None;
        }
        return Some(Kind::Qty(n));
    }
    match w {
        "medio" | "media" | "mitad" => return Some(Kind::Word("1/2".into())),
        "cuarto" | "cuartos" => return Some(Kind::Word("1/4".into())),
        "octavo" | "octavos" => return Some(Kind::Word("1/8".into())),
        "sin" => return Some(Kind::NoteStart),
        _ => {}
    }
    if CONNECTORS.contains(&w) {
        return Some(Kind::Sep { word: true });
    }
    if STOPWORDS.contains(&w) {
        return None;
    }
    Some(Kind::Word(singular(w)))
}

/// The words of a catalogue name or synonym: quantities inside names ("x6") become plain words and
/// connectors/separators vanish, so "1/4 de pollo con papas" → `1/4 pollo papa`.
pub(super) fn name_words(name: &str) -> Vec<String> {
    tokenize(name)
        .into_iter()
        .filter_map(|t| match t.kind {
            Kind::Word(w) => Some(w),
            Kind::Qty(n) => Some(n.to_string()),
            Kind::Sep { .. } | Kind::NoteStart => None,
        })
        .collect()
}
