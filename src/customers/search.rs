//! Customer search: what a free-text search matches (names through the full-text index,
//! phones and e-mails — sealed — only as whole values through their blind indexes) and which
//! plan answers a name shared by many customers.

use rusqlite::{Connection, ToSql, params};

use crate::error::AppError;

/// The `WHERE` condition for the search `text`, its values appended to `args`. `by_date`:
/// the list is sorted by creation date, so a common name may walk the date index.
pub fn clause(
    conn: &Connection,
    text: &str,
    country: Option<phonenumber::country::Id>,
    by_date: bool,
    args: &mut Vec<Box<dyn ToSql>>,
) -> Result<String, AppError> {
    let mut any: Vec<String> = Vec::new();
    if let Some(q) = fts_query(text) {
        // A word shared by many customers (a first name) is answered by walking the date
        // index newest first and keeping members of the match set, which stops after one
        // page; a rare one by fetching its few rows and sorting them. `+id` keeps SQLite from
        // looking the matches up one by one in the first case.
        let many = by_date && {
            let customers: i64 = conn
                .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM clientes")?
                .query_row([], |r| r.get(0))?;
            // Counting stops at the first count that means "many": a first name's thousands
            // of hits are not all stepped through just to choose the plan.
            let bound = few_matches_at_most(customers).saturating_add(1);
            let matches: i64 = conn
                .prepare_cached(
                    "SELECT COUNT(*) FROM
                         (SELECT 1 FROM clientes_fts WHERE clientes_fts MATCH ?1 LIMIT ?2)",
                )?
                .query_row(params![&q, bound], |r| r.get(0))?;
            many_matches(matches, customers)
        };
        any.push(format!(
            "{}id IN (SELECT rowid FROM clientes_fts WHERE clientes_fts MATCH ?)",
            if many { "+" } else { "" }
        ));
        args.push(Box::new(q));
    }
    for phone in phone_candidates(text, country) {
        any.push("telefono_bi = pii_bi('telefono', ?)".into());
        args.push(Box::new(phone));
    }
    if let Some(email) = super::normalize_email(text) {
        any.push("email_bi = pii_bi('email', ?)".into());
        args.push(Box::new(email));
    }
    if any.is_empty() {
        // Nothing searchable: no match rather than everything.
        any.push("0".into());
    }
    Ok(format!("({})", any.join(" OR ")))
}

/// Whether `matches` full-text hits among about `customers` rows are better found by walking
/// the date index (≈ customers / matches entries per row of the page, ~50 ns each) than by
/// looking each hit up and sorting (~2 µs each): the two meet near matches² = customers / 2.
fn many_matches(matches: i64, customers: i64) -> bool {
    matches > 50 && matches.saturating_mul(matches).saturating_mul(2) > customers
}

/// The largest number of hits that [`many_matches`] still calls few (it grows with `matches`).
fn few_matches_at_most(customers: i64) -> i64 {
    let mut m = (customers.max(0) as f64 / 2.0).sqrt() as i64;
    while many_matches(m, customers) {
        m -= 1;
    }
    while !many_matches(m + 1, customers) {
        m += 1;
    }
    m
}

/// The E.164 numbers a search text may stand for: as typed with its `+`, or national (the
/// brand's country), or international without the `+`. Only whole numbers can be found: phones
/// are sealed and looked up through their blind index.
pub fn phone_candidates(text: &str, country: Option<phonenumber::country::Id>) -> Vec<String> {
    let phone_like = text
        .trim()
        .chars()
        .all(|c| c.is_ascii_digit() || " -().+".contains(c));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    if !phone_like || digits.len() < 6 || digits.len() > 17 {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    let mut push = |country: Option<phonenumber::country::Id>, raw: &str| {
        if let Ok(n) = phonenumber::parse(country, raw)
            && phonenumber::is_valid(&n)
        {
            let e164 = n.format().mode(phonenumber::Mode::E164).to_string();
            if !out.contains(&e164) {
                out.push(e164);
            }
        }
    };
    if text.trim_start().starts_with('+') {
        push(None, text.trim());
    } else {
        if country.is_some() {
            push(country, text.trim());
        }
        push(None, &format!("+{digits}"));
    }
    out
}

/// Turns free text into a safe FTS5 prefix query: each word quoted, so user input can
/// never be read as FTS syntax. Returns `None` when nothing searchable remains.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '+')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_searches_find_whole_numbers_national_or_international() {
        let pe = Some(phonenumber::country::Id::PE);
        assert_eq!(phone_candidates("987 654 321", pe), vec!["+51987654321"]);
        assert_eq!(
            phone_candidates("+51 987-654-321", pe),
            vec!["+51987654321"]
        );
        assert_eq!(phone_candidates("51987654321", pe), vec!["+51987654321"]);
        assert_eq!(
            phone_candidates("011 4555-1234", Some(phonenumber::country::Id::AR)),
            vec!["+541145551234"]
        );
        // Names, partial numbers and text are not phones.
        assert!(phone_candidates("ana", pe).is_empty());
        assert!(phone_candidates("987", pe).is_empty());
        assert!(phone_candidates("98 ana 7654", pe).is_empty());
    }

    #[test]
    fn many_matches_walk_the_date_index() {
        assert!(!many_matches(10, 100));
        assert!(many_matches(100, 10_000));
        assert!(!many_matches(60, 100_000));
        assert!(many_matches(1_000, 100_000));
    }

    #[test]
    fn the_count_that_chooses_the_plan_stops_right_after_few() {
        for customers in [0, 1, 99, 5_000, 5_001, 100_000, 1_000_000, i64::MAX / 4] {
            let m = few_matches_at_most(customers);
            assert!(!many_matches(m, customers), "{customers}: {m}");
            assert!(many_matches(m + 1, customers), "{customers}: {m}");
        }
        assert_eq!(few_matches_at_most(100_000), 223);
        assert_eq!(few_matches_at_most(1_000), 50);
    }

    #[test]
    fn fts_query_quotes_every_term() {
        assert_eq!(fts_query("Ana  pé").as_deref(), Some("\"Ana\"* \"pé\"*"));
        assert_eq!(
            fts_query("\" OR 1=1 --").as_deref(),
            Some("\"OR\"* \"1\"* \"1\"*")
        );
        assert_eq!(fts_query("*** ---"), None);
        assert_eq!(fts_query("ana@x.pe").as_deref(), Some("\"ana@x.pe\"*"));
    }
}
