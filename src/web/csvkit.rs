//! CSV as spreadsheets produce it: UTF-8 (with or without BOM) or Windows-1252, `,` or `;`,
//! read into rows; and CSV written so that no cell can run as a spreadsheet formula.

use crate::error::{AppError, msg};

/// Largest number of data rows one import takes.
pub const MAX_ROWS: usize = 10_000;

/// A decoded file: its header and rows, and what was detected.
#[derive(Debug, Clone)]
pub struct Table {
    pub encoding: &'static str,
    pub delimiter: char,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Turns file bytes into text: UTF-8 when they are valid UTF-8, Windows-1252 otherwise
/// (what Excel on Windows saves as "CSV"). Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), "Windows-1252")
        }
    }
}

/// `;` when the header line has more semicolons than commas (Spanish-locale Excel).
pub fn sniff_delimiter(text: &str) -> char {
    let first = text.lines().next().unwrap_or("");
    if first.matches(';').count() > first.matches(',').count() {
        ';'
    } else {
        ','
    }
}

/// Parses text with `delimiter`; every row is padded or cut to the header's width.
pub fn parse(text: &str, delimiter: char, encoding: &'static str) -> Result<Table, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let bad = |e: csv::Error| {
        AppError::BadRequest(msg(
            format!("El CSV no se puede leer: {e}"),
            format!("The CSV cannot be read: {e}"),
        ))
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(bad)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(AppError::BadRequest(msg(
            "El CSV está vacío o no tiene cabecera.",
            "The CSV is empty or has no header row.",
        )));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(AppError::BadRequest(msg(
                format!("Máximo {MAX_ROWS} filas por importación."),
                format!("At most {MAX_ROWS} rows per import."),
            )));
        }
        let mut row: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        row.resize(headers.len(), String::new());
        rows.push(row);
    }
    Ok(Table {
        encoding,
        delimiter,
        headers,
        rows,
    })
}

/// Decodes and parses uploaded bytes, detecting encoding and delimiter.
pub fn read(bytes: &[u8]) -> Result<Table, AppError> {
    let (text, encoding) = decode(bytes);
    parse(&text, sniff_delimiter(&text), encoding)
}

/// A cell that a spreadsheet will show as text: values starting with `=`, `+`, `-`, `@`,
/// tab or carriage return get a leading `'` (OWASP's advice against formula injection).
pub fn safe_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// Writes rows as UTF-8 CSV with a BOM (so Excel shows accents right), every cell made safe.
pub fn write(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, AppError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().from_writer(&mut out);
        w.write_record(headers).map_err(AppError::internal)?;
        for row in rows {
            w.write_record(row.iter().map(|c| safe_cell(c)))
                .map_err(AppError::internal)?;
        }
        w.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}

/// Folds a header for matching: lowercase, accents and separators removed.
pub fn fold(header: &str) -> String {
    header
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' => 'a',
            'é' | 'è' | 'ë' => 'e',
            'í' | 'ì' | 'ï' => 'i',
            'ó' | 'ò' | 'ö' => 'o',
            'ú' | 'ù' | 'ü' => 'u',
            'ñ' => 'n',
            other => other,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Largest CSV a staff member may upload (and post back confirmed) on an import screen: a
/// brand's whole customer list or order history, far above the 1 MiB API body limit.
pub const UPLOAD_MAX_BYTES: usize = 32 * 1024 * 1024;

/// Whether `path` is an import screen's upload or confirmation, which take [`UPLOAD_MAX_BYTES`].
pub fn is_upload_path(path: &str) -> bool {
    path.starts_with("/m/")
        && (path.ends_with("/importar") || path.ends_with("/importar/confirmar"))
}

/// The body limit for an import route.
pub fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(UPLOAD_MAX_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_and_semicolons() {
        // "Peña;Teléfono" in Windows-1252.
        let bytes = b"Nombre;Tel\xe9fono\nPe\xf1a;987654321\n";
        let t = read(bytes).unwrap();
        assert_eq!(t.encoding, "Windows-1252");
        assert_eq!(t.delimiter, ';');
        assert_eq!(t.headers, ["Nombre", "Teléfono"]);
        assert_eq!(t.rows, [["Peña", "987654321"]]);
    }

    #[test]
    fn utf8_bom_commas_and_ragged_rows() {
        let t = read("\u{feff}a,b,c\n1,2\n\n4,5,6,7\n".as_bytes()).unwrap();
        assert_eq!(t.encoding, "UTF-8");
        assert_eq!(t.headers, ["a", "b", "c"]);
        assert_eq!(t.rows, [vec!["1", "2", ""], vec!["4", "5", "6"]]);
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+51987"), "'+51987");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Ana"), "Ana");
        let out = write(&["n"], &[vec!["-2+3".into()]]).unwrap();
        assert_eq!(String::from_utf8_lossy(&out[3..]), "n\n'-2+3\n");
    }

    #[test]
    fn header_folding() {
        assert_eq!(fold("Teléfono "), "telefono");
        assert_eq!(fold("E-mail"), "email");
    }
}
