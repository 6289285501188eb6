//! Send-request bodies for `POST /{phone_number_id}/messages` (text, interactive, template, mark as
//! read) and the send response, serialised exactly as in `fixtures/whatsapp/outbound/`.

use crate::whatsapp::interactive::{Interactive, limits, truncate};
use serde::{Deserialize, Serialize};

/// Who receives the message: a phone/wa_id goes in `to`, a BSUID in `recipient` (sending a BSUID in
/// `to` is accepted by Meta and then silently dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Recipient {
    /// The `wa_id` as received (preferred) or an E.164 number; sent as `to`.
    #[serde(rename = "to")]
    Phone(String),
    /// A business-scoped user id, for username users without a phone; sent as `recipient`.
    #[serde(rename = "recipient")]
    UserId(String),
}

impl Recipient {
    /// Reply target for an inbound sender: the `wa_id` as received when present, else the BSUID.
    pub fn for_sender(wa_id: &str, user_id: Option<&str>) -> Option<Recipient> {
        if !wa_id.is_empty() {
            Some(Recipient::Phone(wa_id.to_owned()))
        } else {
            user_id
                .filter(|u| !u.is_empty())
                .map(|u| Recipient::UserId(u.to_owned()))
        }
    }
}

/// A media object by uploaded id or public link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaRef {
    Id(String),
    Link(String),
}

/// A complete send request. Build with [`OutboundMessage::text`], [`OutboundMessage::interactive`] or
/// [`OutboundMessage::template`], then optionally [`reply_to`](Self::reply_to) and
/// [`callback_data`](Self::callback_data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundMessage {
    messaging_product: &'static str,
    recipient_type: &'static str,
    #[serde(flatten)]
    recipient: Recipient,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<ReplyContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    biz_opaque_callback_data: Option<String>,
    #[serde(flatten)]
    content: Content,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct ReplyContext {
    message_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Content {
    Text { text: TextBody },
    Interactive { interactive: Interactive },
    Template { template: Template },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct TextBody {
    preview_url: bool,
    body: String,
}

/// Meta's cap on `biz_opaque_callback_data`.
pub const CALLBACK_DATA_MAX: usize = 512;

impl OutboundMessage {
    fn new(to: Recipient, content: Content) -> Self {
        OutboundMessage {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            recipient: to,
            context: None,
            biz_opaque_callback_data: None,
            content,
        }
    }

    /// Free-form text (only inside the 24-hour window). Bodies over 4096 characters are truncated.
    /// Link previews are off; see [`with_preview`](Self::with_preview).
    pub fn text(to: Recipient, body: &str) -> Self {
        let body = truncate(body, limits::TEXT_BODY).into_owned();
        OutboundMessage::new(
            to,
            Content::Text {
                text: TextBody {
                    preview_url: false,
                    body,
                },
            },
        )
    }

    /// Turns link previews on for a text message (no effect on other kinds).
    pub fn with_preview(mut self, on: bool) -> Self {
        if let Content::Text { text } = &mut self.content {
            text.preview_url = on;
        }
        self
    }

    /// Reply buttons or list, from [`crate::whatsapp::interactive`] (only inside the 24-hour window).
    pub fn interactive(to: Recipient, interactive: Interactive) -> Self {
        OutboundMessage::new(to, Content::Interactive { interactive })
    }

    /// An approved template: the only kind allowed outside the 24-hour window.
    pub fn template(to: Recipient, template: Template) -> Self {
        OutboundMessage::new(to, Content::Template { template })
    }

    /// Quotes an inbound message (`context.message_id`).
    pub fn reply_to(mut self, wamid: impl Into<String>) -> Self {
        self.context = Some(ReplyContext {
            message_id: wamid.into(),
        });
        self
    }

    /// Opaque tag echoed back in every status webhook (e.g. the outbox row id), cut to 512.
    pub fn callback_data(mut self, data: impl Into<String>) -> Self {
        let data: String = data.into();
        self.biz_opaque_callback_data = Some(truncate(&data, CALLBACK_DATA_MAX).into_owned());
        self
    }

    pub fn recipient(&self) -> &Recipient {
        &self.recipient
    }

    /// True for templates, which may be sent outside the customer-service window.
    pub fn is_template(&self) -> bool {
        matches!(self.content, Content::Template { .. })
    }

    /// The JSON body to POST.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A template send: name + language must match an APPROVED template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    name: String,
    language: Language,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Language {
    code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<String>,
    parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Parameter {
    Text {
        #[serde(skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
        text: String,
    },
    Image {
        image: MediaRef,
    },
    Video {
        video: MediaRef,
    },
    Document {
        document: MediaRef,
    },
    Payload {
        payload: String,
    },
}

impl Template {
    /// `language` is the template's language code, e.g. `es_MX`, `es`, `pt_BR`.
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        Template {
            name: name.into(),
            language: Language {
                code: language.into(),
            },
            components: Vec::new(),
        }
    }

    fn push(
        mut self,
        kind: &'static str,
        sub_type: Option<&'static str>,
        index: Option<u8>,
        p: Vec<Parameter>,
    ) -> Self {
        self.components.push(Component {
            kind,
            sub_type,
            index: index.map(|i| i.to_string()),
            parameters: p,
        });
        self
    }

    /// Header with an image (by uploaded media id or link).
    pub fn header_image(self, image: MediaRef) -> Self {
        self.push("header", None, None, vec![Parameter::Image { image }])
    }

    pub fn header_document(self, document: MediaRef) -> Self {
        self.push("header", None, None, vec![Parameter::Document { document }])
    }

    pub fn header_video(self, video: MediaRef) -> Self {
        self.push("header", None, None, vec![Parameter::Video { video }])
    }

    /// Header with one text variable.
    pub fn header_text(self, text: impl Into<String>) -> Self {
        self.push(
            "header",
            None,
            None,
            vec![Parameter::Text {
                parameter_name: None,
                text: text.into(),
            }],
        )
    }

    /// Body variables of a positional template (`{{1}}`, `{{2}}`…), in placeholder order.
    pub fn body_positional<S: Into<String>>(self, values: impl IntoIterator<Item = S>) -> Self {
        let params = values
            .into_iter()
            .map(|v| Parameter::Text {
                parameter_name: None,
                text: v.into(),
            })
            .collect();
        self.push("body", None, None, params)
    }

    /// Body variables of a named template (`{{first_name}}`), as (name, value) pairs.
    pub fn body_named<N: Into<String>, V: Into<String>>(
        self,
        values: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        let params = values
            .into_iter()
            .map(|(n, v)| Parameter::Text {
                parameter_name: Some(n.into()),
                text: v.into(),
            })
            .collect();
        self.push("body", None, None, params)
    }

    /// Quick-reply button at 0-based `index`; `payload` comes back as `button.payload` when tapped.
    pub fn quick_reply(self, index: u8, payload: impl Into<String>) -> Self {
        let p = vec![Parameter::Payload {
            payload: payload.into(),
        }];
        self.push("button", Some("quick_reply"), Some(index), p)
    }

    /// URL button at `index` whose URL ends with the variable `suffix`.
    pub fn url_button(self, index: u8, suffix: impl Into<String>) -> Self {
        let p = vec![Parameter::Text {
            parameter_name: None,
            text: suffix.into(),
        }];
        self.push("button", Some("url"), Some(index), p)
    }
}

/// Body for marking an inbound message (and all before it) as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarkRead {
    messaging_product: &'static str,
    status: &'static str,
    message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    typing_indicator: Option<TypingIndicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct TypingIndicator {
    #[serde(rename = "type")]
    kind: &'static str,
}

impl MarkRead {
    pub fn new(message_id: impl Into<String>) -> Self {
        MarkRead {
            messaging_product: "whatsapp",
            status: "read",
            message_id: message_id.into(),
            typing_indicator: None,
        }
    }
    /// Also shows "escribiendo…" until the reply (max 25 s): only when a reply will follow.
    pub fn with_typing(mut self) -> Self {
        self.typing_indicator = Some(TypingIndicator { kind: "text" });
        self
    }
}

/// `200` answer to a send: the message was **accepted**; delivery comes later as status webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SendResponse {
    #[serde(default)]
    pub messaging_product: Option<String>,
    #[serde(default)]
    pub contacts: Vec<SendContact>,
    pub messages: Vec<SentMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SendContact {
    #[serde(default)]
    pub input: String,
    /// Canonical WhatsApp id (may differ from `input`; store it). Empty for BSUID sends.
    #[serde(default)]
    pub wa_id: String,
    #[serde(default)]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SentMessage {
    /// The wamid that status webhooks will carry.
    pub id: String,
    /// `accepted`, or a pacing status for templates.
    #[serde(default)]
    pub message_status: Option<String>,
}

impl SendResponse {
    /// The wamid of the sent message.
    pub fn message_id(&self) -> Option<&str> {
        self.messages.first().map(|m| m.id.as_str())
    }
    /// The canonical wa_id Meta resolved the recipient to, when not empty.
    pub fn wa_id(&self) -> Option<&str> {
        self.contacts
            .first()
            .map(|c| c.wa_id.as_str())
            .filter(|w| !w.is_empty())
    }
}

#[cfg(test)]
#[path = "outbound_tests.rs"]
pub(crate) mod tests;
