//! Interactive messages (reply buttons and lists) built within Meta's documented limits, plus
//! char-boundary-safe truncation. An [`Interactive`] can only be made by these builders, so a value of
//! that type is always within the limits.

use crate::whatsapp::outbound::MediaRef;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashSet;

/// Limits from Meta's interactive-message docs (SPEC §4.3/§4.4). Lengths are counted in UTF-16 units,
/// which is never less than the character count, so an emoji cannot push a title over the limit.
pub mod limits {
    pub const MAX_BUTTONS: usize = 3;
    pub const BUTTON_ID: usize = 256;
    pub const BUTTON_TITLE: usize = 20;
    pub const BODY: usize = 1024;
    pub const FOOTER: usize = 60;
    pub const HEADER_TEXT: usize = 60;
    pub const MAX_SECTIONS: usize = 10;
    pub const MAX_ROWS: usize = 10;
    pub const LIST_BUTTON: usize = 20;
    pub const SECTION_TITLE: usize = 24;
    pub const ROW_ID: usize = 200;
    pub const ROW_TITLE: usize = 24;
    pub const ROW_DESCRIPTION: usize = 72;
    /// Text message body.
    pub const TEXT_BODY: usize = 4096;
}

/// Cuts `s` to at most `max` UTF-16 units, ending in "…" when cut. Never splits a character, and backs
/// off so it does not leave a dangling emoji joiner, variation selector, skin tone or combining accent.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.encode_utf16().count() <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let budget = max - 1; // room for the ellipsis
    let mut end = 0;
    let mut used = 0;
    for (i, c) in s.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    // If the cut falls inside a cluster, drop the cluster's start too.
    let mut kept = &s[..end];
    while let Some(next) = s[kept.len()..].chars().next() {
        if !is_cluster_continuation(next) {
            break;
        }
        match kept.char_indices().last() {
            Some((i, _)) => kept = &kept[..i],
            None => break,
        }
    }
    while kept.ends_with('\u{200D}') {
        kept = &kept[..kept.len() - '\u{200D}'.len_utf8()];
    }
    Cow::Owned(format!("{}…", kept.trim_end()))
}

fn is_cluster_continuation(c: char) -> bool {
    matches!(c,
        '\u{200D}'                       // zero-width joiner
        | '\u{FE00}'..='\u{FE0F}'        // variation selectors
        | '\u{1F3FB}'..='\u{1F3FF}'      // skin tones
        | '\u{0300}'..='\u{036F}'        // combining diacritics
        | '\u{20D0}'..='\u{20FF}'        // combining marks for symbols (keycaps)
        | '\u{E0020}'..='\u{E007F}') // tag characters (subdivision flags)
}

/// Why an interactive message could not be built. Titles that are merely too long are truncated,
/// not refused; ids are refused because cutting one would break the reply routing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InteractiveError {
    #[error("el mensaje necesita un texto")]
    EmptyBody,
    #[error("un mensaje con botones necesita entre 1 y 3 botones (hay {0})")]
    ButtonCount(usize),
    #[error("una lista necesita entre 1 y 10 filas en total (hay {0})")]
    RowCount(usize),
    #[error("una lista necesita entre 1 y 10 secciones (hay {0})")]
    SectionCount(usize),
    #[error("el identificador «{0}» está vacío o es demasiado largo")]
    BadId(String),
    #[error("el identificador «{0}» está repetido")]
    DuplicateId(String),
    #[error("el título del botón «{0}» está repetido")]
    DuplicateTitle(String),
    #[error("falta un título")]
    EmptyTitle,
}

/// The `interactive` object of a send request. Made only by [`ReplyButtons`] and [`ListMessage`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interactive {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<Header>,
    body: TextObject,
    #[serde(skip_serializing_if = "Option::is_none")]
    footer: Option<TextObject>,
    action: Action,
}

/// Optional header. Lists accept only text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Header {
    Text { text: String },
    Image { image: MediaRef },
    Video { video: MediaRef },
    Document { document: MediaRef },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct TextObject {
    text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Action {
    Buttons {
        buttons: Vec<ButtonWire>,
    },
    List {
        button: String,
        sections: Vec<SectionWire>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ButtonWire {
    #[serde(rename = "type")]
    kind: &'static str,
    reply: IdTitle,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct IdTitle {
    id: String,
    title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct SectionWire {
    title: String,
    rows: Vec<ListRow>,
}

fn text_object(s: &str, max: usize) -> Option<TextObject> {
    let s = s.trim();
    (!s.is_empty()).then(|| TextObject {
        text: truncate(s, max).into_owned(),
    })
}

fn check_id(id: &str, max: usize, seen: &mut HashSet<String>) -> Result<(), InteractiveError> {
    if id.is_empty() || id.encode_utf16().count() > max {
        return Err(InteractiveError::BadId(truncate(id, 40).into_owned()));
    }
    if !seen.insert(id.to_owned()) {
        return Err(InteractiveError::DuplicateId(id.to_owned()));
    }
    Ok(())
}

/// Up to three reply buttons under a text (e.g. Confirmar / Cambiar / Cancelar).
#[derive(Debug, Clone, Default)]
pub struct ReplyButtons {
    header: Option<Header>,
    body: String,
    footer: Option<String>,
    buttons: Vec<(String, String)>,
}

impl ReplyButtons {
    pub fn new(body: impl Into<String>) -> Self {
        ReplyButtons {
            body: body.into(),
            ..Default::default()
        }
    }
    /// Text header (truncated to 60).
    pub fn header_text(mut self, text: impl Into<String>) -> Self {
        let text: String = text.into();
        self.header = Some(Header::Text {
            text: truncate(text.trim(), limits::HEADER_TEXT).into_owned(),
        });
        self
    }
    /// Image, video or document header.
    pub fn header(mut self, header: Header) -> Self {
        self.header = Some(header);
        self
    }
    pub fn footer(mut self, text: impl Into<String>) -> Self {
        self.footer = Some(text.into());
        self
    }
    /// Adds a button: `id` comes back as `button_reply.id`; `title` is truncated to 20.
    pub fn button(mut self, id: impl Into<String>, title: impl Into<String>) -> Self {
        self.buttons.push((id.into(), title.into()));
        self
    }
    /// Validates counts, ids and title uniqueness (after truncation).
    pub fn build(self) -> Result<Interactive, InteractiveError> {
        let body = text_object(&self.body, limits::BODY).ok_or(InteractiveError::EmptyBody)?;
        if self.buttons.is_empty() || self.buttons.len() > limits::MAX_BUTTONS {
            return Err(InteractiveError::ButtonCount(self.buttons.len()));
        }
        let (mut ids, mut titles) = (HashSet::new(), HashSet::new());
        let mut buttons = Vec::with_capacity(self.buttons.len());
        for (id, title) in self.buttons {
            check_id(&id, limits::BUTTON_ID, &mut ids)?;
            let title = truncate(title.trim(), limits::BUTTON_TITLE).into_owned();
            if title.is_empty() {
                return Err(InteractiveError::EmptyTitle);
            }
            if !titles.insert(title.to_lowercase()) {
                return Err(InteractiveError::DuplicateTitle(title));
            }
            buttons.push(ButtonWire {
                kind: "reply",
                reply: IdTitle { id, title },
            });
        }
        Ok(Interactive {
            kind: "button",
            header: self.header,
            body,
            footer: self.footer.and_then(|f| text_object(&f, limits::FOOTER)),
            action: Action::Buttons { buttons },
        })
    }
}

/// One selectable row of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListRow {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ListRow {
    /// `id` comes back as `list_reply.id` (≤ 200); `title` is truncated to 24.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        ListRow {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }
    /// Second line under the title, truncated to 72.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
}

/// A list message: an opener button that shows up to 10 rows in up to 10 sections.
#[derive(Debug, Clone, Default)]
pub struct ListMessage {
    header: Option<String>,
    body: String,
    footer: Option<String>,
    button: String,
    sections: Vec<(String, Vec<ListRow>)>,
}

impl ListMessage {
    /// `button` is the opener label (truncated to 20), e.g. "Ver menú".
    pub fn new(body: impl Into<String>, button: impl Into<String>) -> Self {
        ListMessage {
            body: body.into(),
            button: button.into(),
            ..Default::default()
        }
    }
    pub fn header_text(mut self, text: impl Into<String>) -> Self {
        self.header = Some(text.into());
        self
    }
    pub fn footer(mut self, text: impl Into<String>) -> Self {
        self.footer = Some(text.into());
        self
    }
    /// Adds a section; its title is truncated to 24.
    pub fn section(mut self, title: impl Into<String>, rows: Vec<ListRow>) -> Self {
        self.sections.push((title.into(), rows));
        self
    }
    /// Validates section and row counts (10 rows in total), ids (unique, ≤ 200) and truncates texts.
    pub fn build(self) -> Result<Interactive, InteractiveError> {
        let body = text_object(&self.body, limits::BODY).ok_or(InteractiveError::EmptyBody)?;
        if self.sections.is_empty() || self.sections.len() > limits::MAX_SECTIONS {
            return Err(InteractiveError::SectionCount(self.sections.len()));
        }
        let total: usize = self.sections.iter().map(|(_, rows)| rows.len()).sum();
        if total == 0 || total > limits::MAX_ROWS || self.sections.iter().any(|(_, r)| r.is_empty())
        {
            return Err(InteractiveError::RowCount(total));
        }
        let button = truncate(self.button.trim(), limits::LIST_BUTTON).into_owned();
        if button.is_empty() {
            return Err(InteractiveError::EmptyTitle);
        }
        let mut ids = HashSet::new();
        let mut sections = Vec::with_capacity(self.sections.len());
        for (title, rows) in self.sections {
            let title = truncate(title.trim(), limits::SECTION_TITLE).into_owned();
            if title.is_empty() {
                return Err(InteractiveError::EmptyTitle);
            }
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                check_id(&row.id, limits::ROW_ID, &mut ids)?;
                let row_title = truncate(row.title.trim(), limits::ROW_TITLE).into_owned();
                if row_title.is_empty() {
                    return Err(InteractiveError::EmptyTitle);
                }
                out.push(ListRow {
                    id: row.id,
                    title: row_title,
                    description: row
                        .description
                        .as_deref()
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(|d| truncate(d, limits::ROW_DESCRIPTION).into_owned()),
                });
            }
            sections.push(SectionWire { title, rows: out });
        }
        Ok(Interactive {
            kind: "list",
            header: self
                .header
                .and_then(|h| text_object(&h, limits::HEADER_TEXT))
                .map(|t| Header::Text { text: t.text }),
            body,
            footer: self.footer.and_then(|f| text_object(&f, limits::FOOTER)),
            action: Action::List { button, sections },
        })
    }
}

/// One page of a long menu as at most 10 rows: when more pages follow, 9 items plus a last row
/// "Más opciones →" whose id is `more_id(next_page)`. Returns the rows and whether more follow.
pub fn paginate(
    rows: &[ListRow],
    page: usize,
    more_id: impl Fn(usize) -> String,
) -> (Vec<ListRow>, bool) {
    let per_page = limits::MAX_ROWS - 1;
    let start = page.saturating_mul(per_page).min(rows.len());
    let rest = &rows[start..];
    if rest.len() <= limits::MAX_ROWS {
        return (rest.to_vec(), false);
    }
    let mut out = rest[..per_page].to_vec();
    out.push(ListRow::new(more_id(page + 1), "Más opciones →"));
    (out, true)
}

#[cfg(test)]
#[path = "interactive_tests.rs"]
mod tests;
