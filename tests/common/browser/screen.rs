//! The screens a [`Browser`] emulates, and its screenshots: a phone and a desktop viewport set
//! through the DevTools Emulation domain, PNGs saved under the workspace's target/screenshots/
//! whatever CARGO_TARGET_DIR says. It compares no pixels: the screenshots are for people to
//! look at.

use super::Browser;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The screen a browser emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// 390×844 CSS px at device pixel ratio 3, touch, mobile.
    Phone,
    /// 1280×800 CSS px at device pixel ratio 1, mouse.
    Desktop,
}

impl Screen {
    /// (width, height, device pixel ratio, mobile with touch).
    pub fn metrics(self) -> (u32, u32, f64, bool) {
        match self {
            Screen::Phone => (390, 844, 3.0, true),
            Screen::Desktop => (1280, 800, 1.0, false),
        }
    }
}

impl Browser {
    /// Emulates `screen` (metrics and touch), then lets layout settle for two animation frames.
    pub(super) fn emulate(&self, screen: Screen) {
        let (width, height, ratio, mobile) = screen.metrics();
        let metrics = json!({"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": mobile});
        self.cdp("Emulation.setDeviceMetricsOverride", metrics);
        self.cdp("Emulation.setTouchEmulationEnabled", json!({"enabled": mobile, "maxTouchPoints": 5}));
        self.exec_async("requestAnimationFrame(() => requestAnimationFrame(() => arguments[0](true)))", vec![]);
    }

    /// Saves a screenshot of the viewport to target/screenshots/<name>.png.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        self.save_png(name).unwrap_or_else(|e| self.fail(&format!("screenshot {name}: {e}")))
    }

    /// Saves `<name>-390x844.png` (phone) and `<name>-1280x800.png` (desktop) of the current
    /// page, then returns to the screen the browser started with.
    pub fn screenshots(&self, name: &str) -> [PathBuf; 2] {
        let shots = [Screen::Phone, Screen::Desktop].map(|screen| {
            self.emulate(screen);
            let (width, height, _, _) = screen.metrics();
            self.screenshot(&format!("{name}-{width}x{height}"))
        });
        self.emulate(self.screen);
        shots
    }

    /// Saves what the viewport shows to target/screenshots/<name>.png, or says why not.
    pub(super) fn save_png(&self, name: &str) -> Result<PathBuf, String> {
        let shot = self.try_call("GET", "/screenshot", None).map_err(|f| format!("{}: {}", f.error, f.message))?;
        let png = base64_decode(shot.as_str().unwrap_or_default()).ok_or("the screenshot is not base64")?;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }
}

/// Standard base64 (RFC 4648, padded), as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut bytes, mut bits, mut count) = (Vec::with_capacity(text.len() / 4 * 3), 0u32, 0);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        bits = (bits << 6 | u32::from(sextet(c)?)) & 0xffff;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    Some(bytes)
}
