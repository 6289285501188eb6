//! Scoring text fragments against catalogue names: exact words, typos, prefixes and sizes.

use super::{Ambiguity, CatalogItem, ParsedOrder, Segment};

/// Scores segments against the prepared catalogue names.
pub(super) struct Matcher<'a> {
    /// Per item, per name/synonym, its normalised words.
    pub(super) variants: &'a [Vec<Vec<String>>],
}

/// Best fit of one item: score, matched weight and which segment words it used.
struct Fit {
    item: usize,
    score: f32,
    weight: f32,
    full: bool,
    used: Vec<bool>,
}

/// Two fits closer than this are a tie (ask the customer).
const TIE: f32 = 0.05;

impl Matcher<'_> {
    fn fits(&self, words: &[&str]) -> Vec<Fit> {
        let mut fits = Vec::new();
        for (item, variants) in self.variants.iter().enumerate() {
            let mut best: Option<Fit> = None;
            for name in variants {
                let mut used = vec![false; words.len()];
                let (mut weight, mut missing) = (0.0f32, 0usize);
                for nt in name {
                    let found = words
                        .iter()
                        .enumerate()
                        .map(|(j, w)| (j, token_match(w, nt)))
                        .max_by(|a, b| a.1.total_cmp(&b.1));
                    match found {
                        Some((j, m)) if m > 0.0 => {
                            weight += m;
                            used[j] = true;
                        }
                        _ => missing += 1,
                    }
                }
                if weight <= 0.0 {
                    continue;
                }
                let score = weight - 0.5 * missing as f32;
                let better = best
                    .as_ref()
                    .is_none_or(|b| score > b.score || (score == b.score && weight > b.weight));
                if better {
                    best = Some(Fit {
                        item,
                        score,
                        weight,
                        full: missing == 0,
                        used,
                    });
                }
            }
            fits.extend(best);
        }
        fits
    }

    /// Joins "1/4 de pollo" + "con papas" into one item when a product name covers both parts.
    pub(super) fn merge(&self, segs: Vec<Segment>) -> Vec<Segment> {
        let mut out: Vec<Segment> = Vec::with_capacity(segs.len());
        for seg in segs {
            let joinable =
                seg.after_word && seg.qty.is_none() && !seg.note && !seg.words.is_empty();
            if let Some(prev) = out
                .last_mut()
                .filter(|p| joinable && !p.note && !p.words.is_empty())
            {
                let words: Vec<&str> = prev
                    .words
                    .iter()
                    .chain(&seg.words)
                    .map(|w| w.text.as_str())
                    .collect();
                let split = prev.words.len();
                let covers = self.fits(&words).into_iter().any(|f| {
                    f.full
                        && f.used[..split].iter().any(|u| *u)
                        && f.used[split..].iter().all(|u| *u)
                });
                if covers {
                    prev.words.extend(seg.words);
                    prev.end = seg.end;
                    continue;
                }
            }
            out.push(seg);
        }
        out
    }

    pub(super) fn resolve(
        &self,
        words: &[&str],
        qty: u32,
        fragment: &str,
        catalogue: &[CatalogItem],
        out: &mut ParsedOrder,
        note_of: impl Fn(&[bool]) -> Option<String>,
    ) {
        let mut used_all = vec![false; words.len()];
        let mut qty = qty;
        // Each pass takes the best product among the words not used yet, so "pollo broaster inca kola"
        // yields two lines; it stops when nothing else matches.
        loop {
            let remaining: Vec<usize> = (0..words.len()).filter(|&j| !used_all[j]).collect();
            let sub: Vec<&str> = remaining.iter().map(|&j| words[j]).collect();
            let fits = self.fits(&sub);
            let Some(best) = fits.iter().map(|f| f.score).max_by(f32::total_cmp) else {
                break;
            };
            let mut tied: Vec<&Fit> = fits.iter().filter(|f| f.score >= best - TIE).collect();
            // A fit that names the whole product beats partial ones at the same score.
            if tied.iter().any(|f| f.full) {
                tied.retain(|f| f.full);
            }
            for f in &tied {
                for (k, u) in f.used.iter().enumerate() {
                    if *u {
                        used_all[remaining[k]] = true;
                    }
                }
                // Words that belong to any name of the chosen product ("morada" after the synonym
                // "jarra de chicha") are part of it, not a second item.
                for (k, w) in sub.iter().enumerate() {
                    if self.variants[f.item]
                        .iter()
                        .flatten()
                        .any(|nt| token_match(w, nt) > 0.0)
                    {
                        used_all[remaining[k]] = true;
                    }
                }
            }
            match tied.as_slice() {
                [one] => out.add_line(&catalogue[one.item].sku, qty),
                many => out.ambiguous.push(Ambiguity {
                    fragment: fragment.to_owned(),
                    quantity: qty,
                    candidates: many.iter().map(|f| catalogue[f.item].sku.clone()).collect(),
                }),
            }
            qty = 1;
            if used_all.iter().all(|u| *u) {
                break;
            }
        }
        if used_all.iter().all(|u| !*u) {
            out.unknown.push(fragment.to_owned());
        } else if let Some(note) = note_of(&used_all) {
            out.notes.push(note);
        }
    }
}

/// How well a customer's word matches a catalogue word: 1 exact, less for typos/prefixes, 0 none.
fn token_match(user: &str, name: &str) -> f32 {
    if user == name {
        return 1.0;
    }
    let has_digit = |s: &str| s.bytes().any(|b| b.is_ascii_digit());
    if has_digit(user) || has_digit(name) {
        // "1.5" or "1500" typed without a unit still matches the size "1500ml".
        let name_ml = name.strip_suffix("ml").and_then(|n| n.parse::<f64>().ok());
        let user_num = user.parse::<f64>().ok();
        return match (name_ml, user_num) {
            (Some(ml), Some(u)) if (u * 1000.0 - ml).abs() < 0.5 || (u - ml).abs() < 0.5 => 0.9,
            _ => 0.0,
        };
    }
    let (lu, ln) = (user.chars().count(), name.chars().count());
    let shorter = lu.min(ln);
    // Typos count up to 1 edit in words of 4+ letters, 2 in words of 7+. The edit distance is
    // at least the difference in length, so it is computed only when it can still be that
    // small: most pairs of words differ by more, and this runs for every pair.
    let allowed = match shorter {
        7.. => 2,
        4.. => 1,
        _ => 0,
    };
    let edits =
        (allowed > 0 && lu.abs_diff(ln) <= allowed).then(|| strsim::osa_distance(user, name));
    match edits {
        Some(d) if d <= 1 => 0.8,
        Some(d) if d <= allowed => 0.7,
        _ if lu >= 5 && name.starts_with(user) => 0.6,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::token_match;

    /// The rule as first written: the edit distance of every pair, then the thresholds.
    /// Exact and numeric words go through `token_match` itself: that part did not change.
    fn reference(user: &str, name: &str) -> f32 {
        if user == name || user.bytes().chain(name.bytes()).any(|b| b.is_ascii_digit()) {
            return token_match(user, name);
        }
        let (lu, ln) = (user.chars().count(), name.chars().count());
        let d = strsim::osa_distance(user, name);
        if lu.min(ln) >= 4 && d <= 1 {
            0.8
        } else if lu.min(ln) >= 7 && d <= 2 {
            0.7
        } else if lu >= 5 && name.starts_with(user) {
            0.6
        } else {
            0.0
        }
    }

    #[test]
    fn skipping_hopeless_edit_distances_changes_no_score() {
        let words = "pollo polo pollos broaster brosater broster inca inka kola cola chicha chica \
            morada gaseosa gaseosas ensalada ensaladas papas papa a de con mostaza mayonesa \
            cargador cargadr audífonos audifonos ñandú nandu x jarra jarras cuarto cuartos \
            familiar familar aj ají brost chich";
        for user in words.split_whitespace() {
            for name in words.split_whitespace() {
                assert_eq!(
                    token_match(user, name),
                    reference(user, name),
                    "{user} / {name}"
                );
            }
        }
    }
}
