//! What a [`Browser`] does beyond elements and scripts: W3C WebDriver input actions (keys, touch
//! swipes, mouse drags), each performed and then released, and the network events of
//! chromedriver's performance log with [`peak_in_flight`] to count concurrent requests. A pinch
//! is two touch sources acting in the same ticks; there are no key chords.

use super::Browser;
use serde_json::{json, Value};
use std::collections::HashSet;

/// How many pointer moves a swipe, drag or pinch is made of, so pointer events fire along the way.
const STEPS: u32 = 10;
/// The pause between the two taps of a double tap, in ms.
const TAP_GAP: u64 = 80;

/// A pointer move to `at` (CSS px in the viewport) taking `duration` ms.
fn point(at: (f64, f64), duration: u64) -> Value {
    json!({"type": "pointerMove", "origin": "viewport", "duration": duration, "x": at.0.round() as i64, "y": at.1.round() as i64})
}

/// A touch input source named `id` with these actions.
fn touch(id: &str, actions: Vec<Value>) -> Value {
    json!({"type": "pointer", "id": id, "parameters": {"pointerType": "touch"}, "actions": actions})
}

impl Browser {
    /// Presses and releases one key: a character, or one of the names in [`key_code`].
    pub fn press(&self, key: &str) {
        let code = key_code(key).unwrap_or_else(|| self.fail(&format!("press: no key named {key:?}")));
        let keys = [json!({"type": "keyDown", "value": code}), json!({"type": "keyUp", "value": code})];
        self.perform(json!({"type": "key", "id": "keyboard", "actions": keys}));
    }

    /// A one-finger touch from `from` to `to` (CSS px in the viewport) over `millis`.
    pub fn swipe(&self, from: (f64, f64), to: (f64, f64), millis: u64) {
        self.drag("touch", from, to, millis);
    }

    /// A left-button mouse drag from `from` to `to` (CSS px in the viewport) over `millis`.
    pub fn mouse_drag(&self, from: (f64, f64), to: (f64, f64), millis: u64) {
        self.drag("mouse", from, to, millis);
    }

    /// Two taps of one finger at `at`, TAP_GAP apart (one action sequence, so the gap holds).
    pub fn double_tap(&self, at: (f64, f64)) {
        let tap = [json!({"type": "pointerDown", "button": 0}), json!({"type": "pointerUp", "button": 0})];
        let mut steps = vec![point(at, 0)];
        steps.extend(tap.clone());
        steps.push(json!({"type": "pause", "duration": TAP_GAP}));
        steps.extend(tap);
        self.perform_all(vec![touch("touch", steps)]);
    }

    /// Two fingers on a horizontal line through `center`, `from_gap` px apart, moved to `to_gap`
    /// apart over `millis` (spreading them zooms in, pinching them together zooms out).
    pub fn pinch(&self, center: (f64, f64), from_gap: f64, to_gap: f64, millis: u64) {
        let finger = |side: f64| {
            let at = |gap: f64| (center.0 + side * gap / 2.0, center.1);
            let mut steps = vec![point(at(from_gap), 0), json!({"type": "pointerDown", "button": 0})];
            steps.extend((1..=STEPS).map(|i| {
                point(at(from_gap + (to_gap - from_gap) * f64::from(i) / f64::from(STEPS)), millis / u64::from(STEPS))
            }));
            steps.push(json!({"type": "pointerUp", "button": 0}));
            steps
        };
        self.perform_all(vec![touch("finger1", finger(-1.0)), touch("finger2", finger(1.0))]);
    }

    /// Down at `from`, [`STEPS`] moves along the line to `to`, up there.
    fn drag(&self, pointer: &str, from: (f64, f64), to: (f64, f64), millis: u64) {
        let at = |t: f64, duration: u64| point((from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t), duration);
        let mut steps = vec![at(0.0, 0), json!({"type": "pointerDown", "button": 0})];
        steps.extend((1..=STEPS).map(|i| at(f64::from(i) / f64::from(STEPS), millis / u64::from(STEPS))));
        steps.push(json!({"type": "pointerUp", "button": 0}));
        let parameters = json!({ "pointerType": pointer });
        self.perform(json!({"type": "pointer", "id": pointer, "parameters": parameters, "actions": steps}));
    }

    /// Performs one input source's actions, then releases everything it left pressed.
    fn perform(&self, source: Value) {
        self.perform_all(vec![source]);
    }

    /// Performs the actions of several input sources, tick by tick together, then releases.
    fn perform_all(&self, sources: Vec<Value>) {
        self.call("POST", "/actions", Some(json!({ "actions": sources })));
        self.call("DELETE", "/actions", None);
    }

    /// The `Network.*` DevTools events ({method, params}) logged since the last call, oldest first.
    pub fn network_events(&self) -> Vec<Value> {
        let entries = self.call("POST", "/se/log", Some(json!({"type": "performance"})));
        let events = entries.as_array().into_iter().flatten().filter_map(|entry| {
            let mut logged: Value = serde_json::from_str(entry["message"].as_str()?).ok()?;
            let event = logged["message"].take();
            event["method"].as_str()?.starts_with("Network.").then_some(event)
        });
        events.collect()
    }
}

/// The most requests for URLs containing `url_part` that were in flight at once among `events`
/// (from [`Browser::network_events`]): `requestWillBeSent` opens a request, `loadingFinished`
/// or `loadingFailed` with its requestId closes it. Requests the page cancelled are left out:
/// Chromium logs their end when its network process gets to it, often after the page has
/// already started the next one, so the page's own count is the measure for those. Events are
/// taken in the order of their timestamps: the log is not always in that order when requests
/// are cancelled quickly.
pub fn peak_in_flight(events: &[Value], url_part: &str) -> usize {
    let cancelled: HashSet<&str> = events
        .iter()
        .filter(|event| event["method"] == "Network.loadingFailed" && event["params"]["canceled"] == true)
        .filter_map(|event| event["params"]["requestId"].as_str())
        .collect();
    let mut events: Vec<&Value> = events
        .iter()
        .filter(|event| !event["params"]["requestId"].as_str().is_some_and(|id| cancelled.contains(id)))
        .collect();
    events.sort_by(|a, b| {
        let at = |event: &Value| event["params"]["timestamp"].as_f64().unwrap_or(f64::MAX);
        at(a).total_cmp(&at(b))
    });
    let (mut open, mut peak) = (HashSet::new(), 0);
    for event in events {
        let id = event["params"]["requestId"].as_str().unwrap_or_default();
        match event["method"].as_str().unwrap_or_default() {
            "Network.requestWillBeSent"
                if event["params"]["request"]["url"].as_str().is_some_and(|url| url.contains(url_part)) =>
            {
                open.insert(id.to_string());
                peak = peak.max(open.len());
            }
            "Network.loadingFinished" | "Network.loadingFailed" => {
                open.remove(id);
            }
            _ => {}
        }
    }
    peak
}

/// The WebDriver code of a key: a single character stands for itself; names as in
/// KeyboardEvent.key.
fn key_code(key: &str) -> Option<String> {
    let code = match key {
        "Backspace" => '\u{E003}',
        "Tab" => '\u{E004}',
        "Enter" => '\u{E007}',
        "Shift" => '\u{E008}',
        "Control" => '\u{E009}',
        "Alt" => '\u{E00A}',
        "Escape" => '\u{E00C}',
        "PageUp" => '\u{E00E}',
        "PageDown" => '\u{E00F}',
        "End" => '\u{E010}',
        "Home" => '\u{E011}',
        "ArrowLeft" => '\u{E012}',
        "ArrowUp" => '\u{E013}',
        "ArrowRight" => '\u{E014}',
        "ArrowDown" => '\u{E015}',
        "Delete" => '\u{E017}',
        _ => {
            let mut chars = key.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else { return None };
            c
        }
    };
    Some(code.to_string())
}
