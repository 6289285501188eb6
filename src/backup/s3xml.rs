//! Minimal reader for the ListObjectsV2 XML answer: only the elements replication uses.
//!
//! The answer is flat, machine-written XML; a small scanner plus entity unescaping avoids an
//! XML dependency whose API churns between releases.

use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};

use super::s3::ObjectInfo;

pub struct ListPage {
    pub objects: Vec<ObjectInfo>,
    pub truncated: bool,
    pub next_token: Option<String>,
}

pub fn parse_list(xml: &str) -> Result<ListPage> {
    if !xml.contains("<ListBucketResult") {
        return Err(anyhow!(
            "s3: unexpected list answer: {}",
            xml.chars().take(200).collect::<String>()
        ));
    }
    let mut objects = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<Contents>") {
        let after = &rest[i + 10..];
        let end = after
            .find("</Contents>")
            .ok_or_else(|| anyhow!("s3: unterminated <Contents>"))?;
        let c = &after[..end];
        let key = element(c, "Key").ok_or_else(|| anyhow!("s3: <Contents> without <Key>"))?;
        objects.push(ObjectInfo {
            key: unescape(key)?,
            size: element(c, "Size")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
            last_modified: element(c, "LastModified")
                .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
                .map(|d| d.with_timezone(&Utc)),
        });
        rest = &after[end..];
    }
    // <Contents> elements come after the top-level flags in practice but not by contract, so
    // look for the flags outside of them.
    let top = strip_contents(xml);
    Ok(ListPage {
        objects,
        truncated: element(&top, "IsTruncated").is_some_and(|v| v.trim() == "true"),
        next_token: element(&top, "NextContinuationToken")
            .map(unescape)
            .transpose()?,
    })
}

fn strip_contents(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find("<Contents>") {
        out.push_str(&rest[..i]);
        match rest[i..].find("</Contents>") {
            Some(j) => rest = &rest[i + j + 11..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn element<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let i = s.find(&open)? + open.len();
    let j = s[i..].find(&close)?;
    Some(&s[i..i + j])
}

fn unescape(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let j = rest[i..]
            .find(';')
            .ok_or_else(|| anyhow!("s3: bad XML entity"))?;
        let ent = &rest[i + 1..i + j];
        let ch = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else {
                    ent.strip_prefix('#').and_then(|d| d.parse().ok())
                };
                n.and_then(char::from_u32)
                    .ok_or_else(|| anyhow!("s3: bad XML entity &{ent};"))?
            }
        };
        out.push(ch);
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_list_answer() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
<Contents><Key>p/0000/a&amp;b.ltx</Key><LastModified>2026-11-25T10:45:50.000Z</LastModified><Size>2879</Size></Contents>
<IsTruncated>true</IsTruncated><NextContinuationToken>t&#x2F;1</NextContinuationToken></ListBucketResult>"#;
        let p = parse_list(xml).unwrap();
        assert_eq!(p.objects.len(), 1);
        assert_eq!(p.objects[0].key, "p/0000/a&b.ltx");
        assert_eq!(p.objects[0].size, 2879);
        assert!(p.objects[0].last_modified.is_some());
        assert!(p.truncated);
        assert_eq!(p.next_token.as_deref(), Some("t/1"));
        assert!(parse_list("<Error/>").is_err());
        assert!(parse_list("<ListBucketResult><Contents><Key>x").is_err());
    }
}
