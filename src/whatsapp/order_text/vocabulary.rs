//! The Spanish words the order parser knows: fillers to ignore, connectors between items and
//! quantities written as words.

/// Largest quantity read as a quantity; larger numbers are treated as words (phone numbers, years).
pub(super) const MAX_QTY: u32 = 999;

#[rustfmt::skip]
pub(super) const STOPWORDS: &[&str] = &[
    "a", "al", "el", "la", "lo", "los", "las", "de", "del", "en", "por", "para", "favor", "porfa",
    "porfavor", "porfis", "pf", "plis", "please", "quiero", "quisiera", "queria",
    "quieren", "me", "mi", "nos", "te", "le", "les", "das", "da", "dame", "deme", "denme", "damelo",
    "mandame", "manda", "mandar", "envia", "enviame", "enviar", "traeme", "trae", "traer", "pedir",
    "pido", "pedido", "ordenar", "ordeno", "necesito", "seria", "sera", "sea", "hola", "buenas",
    "buenos", "buen", "dia", "dias", "tarde", "tardes", "noche", "noches", "gracias", "ok", "okay",
    "vale", "porcion", "porciones", "unidad", "unidades", "o", "u", "tipo", "que", "esta", "este",
    "eso", "esa", "ese", "sus", "su", "tu", "tus", "se", "si", "igual", "solo", "nada", "bien",
    "llevar", "delivery", "casa", "hoy", "ahora", "quiere", "podria", "puede", "puedes", "podrias",
    "regalas", "regala", "vendes", "venden", "tienes", "tienen", "hay", "ya", "pues", "oye",
    "amigo", "amiga", "senor", "senora", "joven", "ademas", "nomas", "unos", "unas",
];

#[rustfmt::skip]
pub(super) const CONNECTORS: &[&str] = &[
    "y", "e", "con", "tambien", "aparte", "luego", "despues", "mas", "plus",
];

#[rustfmt::skip]
pub(super) const NUMBER_WORDS: &[(&str, u32)] = &[
    ("un", 1), ("uno", 1), ("una", 1), ("dos", 2), ("tres", 3), ("cuatro", 4), ("cinco", 5),
    ("seis", 6), ("siete", 7), ("ocho", 8), ("nueve", 9), ("diez", 10), ("once", 11), ("doce", 12),
    ("trece", 13), ("catorce", 14), ("quince", 15), ("dieciseis", 16), ("diecisiete", 17),
    ("dieciocho", 18), ("diecinueve", 19), ("veinte", 20), ("otro", 1), ("otra", 1),
];
