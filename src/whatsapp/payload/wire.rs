//! The webhook envelope as Meta sends it, read in layers of raw JSON so one bad item is isolated,
//! plus the small shared wire types (contacts, metadata, error items) and lenient field readers.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// Top level: `{"object":"whatsapp_business_account","entry":[…]}`. Entries stay raw until read one by one.
#[derive(Deserialize)]
pub(super) struct RawEnvelope<'a> {
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default, borrow)]
    pub entry: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct RawEntry<'a> {
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    #[serde(default, borrow)]
    pub changes: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct RawChange<'a> {
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default, borrow)]
    pub value: Option<&'a RawValue>,
}

/// `change.value` for `field == "messages"`: items stay raw so each is parsed (and fails) on its own.
#[derive(Deserialize)]
pub(super) struct RawValueBody<'a> {
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default, borrow)]
    pub contacts: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    pub messages: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    pub statuses: Vec<&'a RawValue>,
    #[serde(default)]
    pub errors: Vec<ApiErrorItem>,
}

/// `value.metadata`: which business number received the event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Metadata {
    /// Business number as digits without `+`; display only, it can change.
    #[serde(default, deserialize_with = "string_or_number")]
    pub display_phone_number: String,
    /// Stable id of the business number: the routing key to a brand.
    #[serde(deserialize_with = "string_or_number")]
    pub phone_number_id: String,
}

/// A `contacts[]` item: who wrote (or, for statuses, who received).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Contact {
    #[serde(default)]
    pub profile: Profile,
    /// Digits without `+`; **empty** for username users whose phone is withheld.
    #[serde(default, deserialize_with = "string_or_number")]
    pub wa_id: String,
    /// Business-scoped user id (BSUID), e.g. `BR.1502576394655843`; changes when the user changes number.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub parent_user_id: Option<String>,
    #[serde(default)]
    pub identity_key_hash: Option<String>,
}

/// `contacts[].profile`. The name is self-chosen (can be "~" or an emoji): never a verified name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
}

impl Contact {
    /// The profile name when present and not blank.
    pub fn name(&self) -> Option<&str> {
        self.profile
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
    }
}

/// An error item as found in `value.errors`, `statuses[].errors` and `messages[].errors`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ApiErrorItem {
    /// Meta's error code (e.g. 131047); the only field to branch on.
    #[serde(deserialize_with = "i64_string_or_number")]
    pub code: i64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
    #[serde(default)]
    pub href: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

impl ApiErrorItem {
    /// `error_data.details`, else `message`, else `title`.
    pub fn details(&self) -> Option<&str> {
        self.error_data
            .as_ref()
            .and_then(|d| d.details.as_deref())
            .or(self.message.as_deref())
            .or(self.title.as_deref())
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    Str(String),
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl StrOrNum {
    fn into_string(self) -> String {
        match self {
            StrOrNum::Str(s) => s,
            StrOrNum::Int(i) => i.to_string(),
            StrOrNum::UInt(u) => u.to_string(),
            StrOrNum::Float(f) => f.to_string(),
        }
    }
}

/// Ids are strings in Meta's payloads, but a number is accepted and kept as its decimal text.
pub(super) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(StrOrNum::deserialize(d)?.into_string())
}

pub(super) fn opt_string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<StrOrNum>::deserialize(d)?.map(StrOrNum::into_string))
}

/// Timestamps are Unix-second strings in messages/statuses and integers elsewhere: accept both.
pub(super) fn i64_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    match StrOrNum::deserialize(d)? {
        StrOrNum::Str(s) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("se esperaba un entero y llegó «{s}»"))),
        StrOrNum::Int(i) => Ok(i),
        StrOrNum::UInt(u) => {
            i64::try_from(u).map_err(|_| D::Error::custom("entero fuera de rango"))
        }
        StrOrNum::Float(f) => Err(D::Error::custom(format!(
            "se esperaba un entero y llegó {f}"
        ))),
    }
}

pub(super) fn u32_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error;
    let n = i64_string_or_number(d)?;
    u32::try_from(n).map_err(|_| D::Error::custom(format!("cantidad fuera de rango: {n}")))
}
