//! Elements of the page a [`Browser`] shows, found by CSS selector: the W3C WebDriver element
//! commands (click, text, attribute, typing, rect, displayed). An element is a reference into
//! the page, not a copy: it goes stale when the page replaces it, and a command on it then fails
//! the test.

use super::{Browser, ELEMENT};
use serde_json::{json, Value};

/// An element found by a CSS selector (kept for messages).
pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
    css: String,
}

impl<'b> Element<'b> {
    pub(super) fn new(browser: &'b Browser, id: &str, css: &str) -> Element<'b> {
        Element { browser, id: id.to_string(), css: css.to_string() }
    }

    fn call(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        let path = format!("/element/{}{what}", self.id);
        let answer = self.browser.try_call(method, &path, body);
        answer
            .unwrap_or_else(|f| self.browser.fail(&format!("{} {method} {what}: {}: {}", self.css, f.error, f.message)))
    }

    pub fn click(&self) {
        self.call("POST", "/click", Some(json!({})));
    }

    /// The rendered text.
    pub fn text(&self) -> String {
        self.call("GET", "/text", None).as_str().unwrap_or_default().to_string()
    }

    /// The attribute `name`, None when absent.
    pub fn attr(&self, name: &str) -> Option<String> {
        self.call("GET", &format!("/attribute/{name}"), None).as_str().map(String::from)
    }

    pub fn send_keys(&self, text: &str) {
        self.call("POST", "/value", Some(json!({ "text": text })));
    }

    /// (x, y, width, height) in CSS px, relative to the document.
    pub fn rect(&self) -> (f64, f64, f64, f64) {
        let rect = self.call("GET", "/rect", None);
        let number = |key: &str| rect[key].as_f64().unwrap_or_else(|| self.browser.fail(&format!("rect {rect}")));
        (number("x"), number("y"), number("width"), number("height"))
    }

    pub fn displayed(&self) -> bool {
        self.call("GET", "/displayed", None) == true
    }

    /// The element as a script argument (`exec(script, vec![element.json()])`).
    pub fn json(&self) -> Value {
        json!({ ELEMENT: self.id })
    }
}
