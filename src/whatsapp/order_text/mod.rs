//! Spanish free-text orders ("quiero 2 pollos broaster y una inca kola") read against a brand's
//! catalogue: a pure function returning lines, ambiguities to ask about, unknown fragments and notes.
//!
//! Tolerant by design (case, accents, plurals, small typos, synonyms, quantities in words), and
//! cautious: when a fragment fits several products equally it is returned as an [`Ambiguity`] so the
//! bot asks, and the bot always shows the cart for confirmation before an order exists.

mod lexer;
mod matcher;
mod vocabulary;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use lexer::{Kind, Token, name_words, tokenize};
use matcher::Matcher;
use serde::Serialize;

/// A product as the parser sees it. Synonyms are per brand ("broaster", "inca grande", "jarra de chicha").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    pub synonyms: Vec<String>,
}

impl CatalogItem {
    pub fn new(sku: impl Into<String>, name: impl Into<String>, synonyms: &[&str]) -> Self {
        CatalogItem {
            sku: sku.into(),
            name: name.into(),
            synonyms: synonyms.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// What the text asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ParsedOrder {
    /// Recognised products with quantities, in order of first mention, one line per SKU.
    pub lines: Vec<OrderLine>,
    /// Fragments that fit several products equally ("pollo"): ask which one.
    pub ambiguous: Vec<Ambiguity>,
    /// Fragments that looked like an item but matched nothing (quoted as written).
    pub unknown: Vec<String>,
    /// Remarks to pass to the kitchen: "sin ensalada", or extra words after a product ("bien crocante").
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ambiguity {
    /// The customer's words, as written.
    pub fragment: String,
    pub quantity: u32,
    /// SKUs that fit equally, in catalogue order.
    pub candidates: Vec<String>,
}

impl ParsedOrder {
    /// Nothing order-like was found (greeting, question…): let the FAQ/bot handle the text.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.ambiguous.is_empty() && self.unknown.is_empty()
    }

    /// Every fragment was understood: the cart can be shown for confirmation as is.
    pub fn is_complete(&self) -> bool {
        !self.lines.is_empty() && self.ambiguous.is_empty() && self.unknown.is_empty()
    }

    fn add_line(&mut self, sku: &str, quantity: u32) {
        match self.lines.iter_mut().find(|l| l.sku == sku) {
            Some(line) => line.quantity = line.quantity.saturating_add(quantity),
            None => self.lines.push(OrderLine {
                sku: sku.to_owned(),
                quantity,
            }),
        }
    }
}

/// Free texts parsed ahead of time, off the brand's writer thread, against a snapshot of
/// the catalogue. Parsing is pure CPU and was a fifth of what the single writer spent per
/// inbound message; the writer only checks that the catalogue it reads is the one parsed
/// against (else it parses again), so the result is the same as parsing in place.
#[derive(Debug, Default)]
pub struct Preparsed {
    catalogue: Vec<CatalogItem>,
    orders: HashMap<String, ParsedOrder>,
}

impl Preparsed {
    pub fn new<'t>(catalogue: Vec<CatalogItem>, texts: impl IntoIterator<Item = &'t str>) -> Self {
        let variants = variants(&catalogue);
        let orders = texts
            .into_iter()
            .map(|t| (t.to_owned(), parse_with(t, &catalogue, &variants)))
            .collect();
        Preparsed { catalogue, orders }
    }

    /// `parse_order(text, catalogue)`, taken from what was parsed ahead when it was parsed
    /// against this same catalogue.
    pub fn parse(&self, text: &str, catalogue: &[CatalogItem]) -> ParsedOrder {
        match self.orders.get(text) {
            Some(parsed) if self.catalogue == catalogue => parsed.clone(),
            _ => parse_order(text, catalogue),
        }
    }
}

/// Reads `text` against `catalogue`. Pure and total: never panics, whatever the input.
pub fn parse_order(text: &str, catalogue: &[CatalogItem]) -> ParsedOrder {
    parse_with(text, catalogue, &variants(catalogue))
}

/// Per catalogue item, per name and synonym, its normalised words: the same for every text
/// read against the catalogue, so a batch of texts splits the names once, not once per text.
fn variants(catalogue: &[CatalogItem]) -> Vec<Vec<Vec<String>>> {
    catalogue
        .iter()
        .map(|item| {
            std::iter::once(&item.name)
                .chain(&item.synonyms)
                .map(|n| name_words(n))
                .filter(|w| !w.is_empty())
                .collect()
        })
        .collect()
}

/// [`parse_order`] with the catalogue's [`variants`] already split.
fn parse_with(text: &str, catalogue: &[CatalogItem], variants: &[Vec<Vec<String>>]) -> ParsedOrder {
    let matcher = Matcher { variants };
    let segments = matcher.merge(segment(&tokenize(text)));
    let mut out = ParsedOrder::default();
    // Unmatched fragments without a quantity are only reported when something else was ordered:
    // "¿a qué hora cierran?" is a question for the FAQ, not an unknown product.
    let mut unknown_has_qty = Vec::new();
    for seg in segments {
        let fragment = text.get(seg.start..seg.end).unwrap_or("").trim().to_owned();
        if seg.note {
            out.notes.push(fragment);
            continue;
        }
        if seg.words.is_empty() {
            if seg.qty.is_some() {
                out.unknown.push(fragment);
                unknown_has_qty.push(true);
            }
            continue;
        }
        let words: Vec<&str> = seg.words.iter().map(|w| w.text.as_str()).collect();
        let before = out.unknown.len();
        matcher.resolve(
            &words,
            seg.qty.unwrap_or(1),
            &fragment,
            catalogue,
            &mut out,
            |used| leftover_note(text, &seg.words, used),
        );
        unknown_has_qty.resize(
            unknown_has_qty.len() + out.unknown.len() - before,
            seg.qty.is_some(),
        );
    }
    if out.lines.is_empty() && out.ambiguous.is_empty() {
        let mut flags = unknown_has_qty.into_iter();
        out.unknown.retain(|_| flags.next().unwrap_or(false));
    }
    out
}

/// Original text of the words not used by any match, for the notes.
fn leftover_note(text: &str, words: &[SegWord], used: &[bool]) -> Option<String> {
    let parts: Vec<&str> = words
        .iter()
        .zip(used)
        .filter(|(_, u)| !**u)
        .filter_map(|(w, _)| text.get(w.start..w.end))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[derive(Debug, Clone, Default)]
struct SegWord {
    text: String,
    start: usize,
    end: usize,
}

/// One item's worth of tokens: an optional quantity and product words.
#[derive(Debug, Clone, Default)]
struct Segment {
    qty: Option<u32>,
    words: Vec<SegWord>,
    start: usize,
    end: usize,
    /// Joined to the previous segment by a word ("con", "y") rather than punctuation.
    after_word: bool,
    note: bool,
    touched: bool,
}

impl Segment {
    fn touch(&mut self, t: &Token) {
        if !self.touched {
            self.start = t.start;
            self.touched = true;
        }
        self.end = t.end;
    }
}

fn segment(tokens: &[Token]) -> Vec<Segment> {
    let mut segs = Vec::new();
    let mut cur = Segment::default();
    let close = |segs: &mut Vec<Segment>, cur: &mut Segment, after_word: bool| {
        let done = std::mem::take(cur);
        if done.touched {
            segs.push(done);
        }
        cur.after_word = after_word;
    };
    for (i, t) in tokens.iter().enumerate() {
        match &t.kind {
            Kind::Sep { word } => close(&mut segs, &mut cur, *word),
            Kind::NoteStart => {
                close(&mut segs, &mut cur, false);
                cur.note = true;
                cur.touch(t);
            }
            Kind::Qty(n) if cur.note => {
                cur.touch(t);
                cur.words.push(SegWord {
                    text: n.to_string(),
                    start: t.start,
                    end: t.end,
                });
            }
            Kind::Qty(n) => {
                let at_end = tokens
                    .get(i + 1)
                    .is_none_or(|next| matches!(next.kind, Kind::Sep { .. } | Kind::NoteStart));
                if cur.words.is_empty() {
                    cur.qty = Some(*n);
                } else if at_end && cur.qty.is_none() {
                    // Trailing quantity: "inca kola x2", "pollo broaster 2".
                    cur.qty = Some(*n);
                } else {
                    // A new quantity after product words starts the next item: "2 pollos 1 inca kola".
                    close(&mut segs, &mut cur, true);
                    cur.qty = Some(*n);
                }
                cur.touch(t);
            }
            Kind::Word(w) => {
                cur.touch(t);
                cur.words.push(SegWord {
                    text: w.clone(),
                    start: t.start,
                    end: t.end,
                });
            }
        }
    }
    close(&mut segs, &mut cur, false);
    segs
}
