//! The little XML WebDAV needs: request bodies (PROPFIND, PROPPATCH, LOCK) parsed into a tree of
//! namespaced elements, and text escaped for the answers. Bodies are bounded by the caller; the
//! parser bounds nesting and the number of elements, refuses any document type declaration
//! (so there are no entities to expand, and no external ones to fetch) and knows only XML's five
//! predefined entities and character references. Attributes other than namespace declarations
//! are skipped; processing instructions and comments are skipped. It is not a validating parser:
//! what a WebDAV body means is the caller's to check.

use super::error::DavError;

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 32;
/// Most elements accepted in one body.
const MAX_ELEMENTS: usize = 10_000;

/// An element: its namespace URI (empty for none), local name, child elements and text.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// True for the DAV: element `name`.
    pub fn is(&self, name: &str) -> bool {
        self.ns == "DAV:" && self.name == name
    }

    /// The element's content written back as XML: its text, then its child elements, each
    /// declaring its own namespace.
    pub fn inner_xml(&self) -> String {
        let mut out = escape(&self.text);
        for (i, child) in self.children.iter().enumerate() {
            let inner = child.inner_xml();
            if child.ns.is_empty() {
                out.push_str(&format!("<{0} xmlns=\"\">{inner}</{0}>", child.name));
            } else {
                out.push_str(&format!(
                    "<v{i}:{0} xmlns:v{i}=\"{1}\">{inner}</v{i}:{0}>",
                    child.name,
                    escape(&child.ns)
                ));
            }
        }
        out
    }

    /// The first DAV: child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(name))
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, DavError> {
    let mut parser = Parser { text, at: 0, elements: 0, scopes: Vec::new() };
    parser.skip_prolog()?;
    let root = parser.element(0)?;
    parser.skip_misc()?;
    if parser.at != text.len() {
        return Err(DavError::BadRequest);
    }
    Ok(root)
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
    elements: usize,
    /// Namespace declarations in scope, innermost last: (prefix, URI); "" is the default.
    scopes: Vec<(String, String)>,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start().len();
    }

    /// Skips up to and including `end`.
    fn skip_past(&mut self, end: &str) -> Result<(), DavError> {
        let found = self.rest().find(end).ok_or(DavError::BadRequest)?;
        self.at += found + end.len();
        Ok(())
    }

    fn skip_prolog(&mut self) -> Result<(), DavError> {
        self.at += self.rest().len() - self.rest().trim_start_matches('\u{feff}').len();
        self.skip_misc()
    }

    /// Skips white space, comments and processing instructions; refuses a DOCTYPE.
    fn skip_misc(&mut self) -> Result<(), DavError> {
        loop {
            self.skip_space();
            let rest = self.rest();
            if rest.starts_with("<?") {
                self.skip_past("?>")?;
            } else if rest.starts_with("<!--") {
                self.skip_past("-->")?;
            } else if rest.starts_with("<!") {
                return Err(DavError::BadRequest); // DOCTYPE: no entities, ever
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<&str, DavError> {
        let rest = self.rest();
        let len = rest.find(|c: char| c.is_whitespace() || matches!(c, '/' | '>' | '=')).unwrap_or(rest.len());
        if len == 0 {
            return Err(DavError::BadRequest);
        }
        let start = self.at;
        self.at += len;
        Ok(&self.text[start..start + len])
    }

    fn element(&mut self, depth: usize) -> Result<Element, DavError> {
        self.elements += 1;
        if depth > MAX_DEPTH || self.elements > MAX_ELEMENTS || !self.rest().starts_with('<') {
            return Err(DavError::BadRequest);
        }
        self.at += 1;
        let qname = self.name()?.to_string();
        let scope_mark = self.scopes.len();
        let empty = self.attributes()?;
        let (prefix, local) = qname.split_once(':').unwrap_or(("", &qname));
        let ns = self.namespace(prefix)?;
        let mut element = Element { ns, name: local.to_string(), ..Element::default() };
        if !empty {
            self.content(&mut element, &qname, depth)?;
        }
        self.scopes.truncate(scope_mark);
        Ok(element)
    }

    /// Reads the attributes up to `>` or `/>` (true for the latter), keeping namespace
    /// declarations.
    fn attributes(&mut self) -> Result<bool, DavError> {
        loop {
            self.skip_space();
            let rest = self.rest();
            if rest.starts_with("/>") {
                self.at += 2;
                return Ok(true);
            }
            if rest.starts_with('>') {
                self.at += 1;
                return Ok(false);
            }
            let name = self.name()?.to_string();
            self.skip_space();
            if !self.rest().starts_with('=') {
                return Err(DavError::BadRequest);
            }
            self.at += 1;
            self.skip_space();
            let quote = self.rest().chars().next().filter(|c| *c == '"' || *c == '\'').ok_or(DavError::BadRequest)?;
            self.at += 1;
            let len = self.rest().find(quote).ok_or(DavError::BadRequest)?;
            let value = unescape(&self.text[self.at..self.at + len])?;
            self.at += len + 1;
            if name == "xmlns" {
                self.scopes.push((String::new(), value));
            } else if let Some(prefix) = name.strip_prefix("xmlns:") {
                if value.is_empty() {
                    return Err(DavError::BadRequest); // a prefix cannot be undeclared (Namespaces 1.0)
                }
                self.scopes.push((prefix.to_string(), value));
            }
        }
    }

    fn namespace(&self, prefix: &str) -> Result<String, DavError> {
        match self.scopes.iter().rev().find(|(p, _)| p == prefix) {
            Some((_, uri)) => Ok(uri.clone()),
            None if prefix.is_empty() => Ok(String::new()),
            None => Err(DavError::BadRequest), // an undeclared prefix
        }
    }

    fn content(&mut self, element: &mut Element, qname: &str, depth: usize) -> Result<(), DavError> {
        loop {
            let rest = self.rest();
            if let Some(after) = rest.strip_prefix("</") {
                let end = after.find('>').ok_or(DavError::BadRequest)?;
                if after[..end].trim_end() != qname {
                    return Err(DavError::BadRequest);
                }
                self.at += 2 + end + 1;
                return Ok(());
            }
            if rest.starts_with("<!--") || rest.starts_with("<?") {
                self.skip_past(if rest.starts_with("<?") { "?>" } else { "-->" })?;
            } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let end = after.find("]]>").ok_or(DavError::BadRequest)?;
                element.text.push_str(&after[..end]);
                self.at += 9 + end + 3;
            } else if rest.starts_with("<!") {
                return Err(DavError::BadRequest);
            } else if rest.starts_with('<') {
                let child = self.element(depth + 1)?;
                element.children.push(child);
            } else if rest.is_empty() {
                return Err(DavError::BadRequest);
            } else {
                let len = rest.find('<').unwrap_or(rest.len());
                element.text.push_str(&unescape(&rest[..len])?);
                self.at += len;
            }
        }
    }
}

/// Text with XML's predefined entities and character references decoded; any other entity is
/// refused.
fn unescape(text: &str) -> Result<String, DavError> {
    if !text.contains('&') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').ok_or(DavError::BadRequest)?;
        let entity = &after[..end];
        let decoded = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let number = match entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => entity.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                number.and_then(char::from_u32).ok_or(DavError::BadRequest)?
            }
        };
        out.push(decoded);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` escaped for XML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_resolve_through_prefixes_and_defaults() {
        let body = r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><getetag xmlns="DAV:"/><x:a xmlns:x="urn:x">t &amp; &#x41;</x:a></D:prop></D:propfind>"#;
        let root = parse(body).unwrap();
        assert!(root.is("propfind"));
        let prop = root.child("prop").unwrap();
        assert!(prop.children[0].is("getetag"));
        assert_eq!((prop.children[1].ns.as_str(), prop.children[1].name.as_str()), ("urn:x", "a"));
        assert_eq!(prop.children[1].text, "t & A");
    }

    #[test]
    fn doctypes_unknown_entities_and_broken_documents_are_refused() {
        let bombs = [
            r#"<!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>"#,
            "<d>&a;</d>",
            "<d><e></d>",
            "<x:d/>",
            "<d/><e/>",
            r#"<d xmlns:x=""><x:e/></d>"#,
            "",
        ];
        for body in bombs {
            assert_eq!(parse(body), Err(DavError::BadRequest), "{body}");
        }
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(&deep), Err(DavError::BadRequest));
    }

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
