//! A small blocking W3C WebDriver client for the browser tests: [`Browser::start`] runs its own
//! `chromedriver` (which starts a headless Chromium with a fresh profile in a temp dir) and
//! drives one session over plain HTTP/JSON on 127.0.0.1. Here: start and stop, navigation,
//! finding and waiting, scripts, cookies and file inputs; elements are in [`element`], screens
//! and screenshots in [`screen`], key and pointer actions and the network log in [`actions`]. It
//! deliberately knows nothing of windows, frames or alerts, and nothing of iSync. Every call
//! waits for chromedriver's answer; a failed call or a timeout panics naming what failed, after
//! saving a screenshot to target/screenshots/failure-<test>.png.

mod actions;
mod element;
mod screen;

pub use actions::peak_in_flight;
pub use element::Element;
pub use screen::Screen;

use super::http::read_response;
use super::skipped;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The key under which W3C WebDriver passes element references in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How often `wait_for` and `wait_until` look again.
const POLL: Duration = Duration::from_millis(50);
/// How long `type_into` and `set_file_input` wait for their element to appear.
const FIND: Duration = Duration::from_secs(5);
/// What chromedriver prints once it listens; the port follows.
const STARTED: &str = "ChromeDriver was started successfully on port ";

/// One chromedriver, one headless Chromium, one session. Dropping it ends the session and kills
/// chromedriver's process group, so no browser outlives the test.
pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
    screen: Screen,
    profile: tempfile::TempDir,
}

/// What chromedriver answers a failed command with: the W3C error code and its message.
#[derive(Debug)]
struct Failure {
    error: String,
    message: String,
}

impl Browser {
    /// A headless Chromium on `screen`; None (reported through [`skipped`]) when Chromium or
    /// chromedriver is not installed.
    pub fn start(screen: Screen) -> Option<Browser> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            if !Path::new(path).exists() {
                skipped(&format!("no {path}: install the Debian package {package} (make test-deps does)"));
                return None;
            }
        }
        let profile = tempfile::tempdir().expect("a temp dir for the browser profile");
        let (driver, port) = spawn_driver();
        let addr = format!("127.0.0.1:{port}");
        let mut browser = Browser { driver, addr, session: String::new(), screen, profile };
        browser.wait_until_ready();
        browser.session = browser.new_session();
        if screen == Screen::Desktop {
            browser.emulate(screen); // the exact viewport, whatever the window around it
        }
        Some(browser)
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.raw("GET", "/status", None).is_ok_and(|status| status["ready"] == true) {
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited before it was ready: {status}");
            }
            assert!(Instant::now() < deadline, "chromedriver on {} was not ready within 30 s", self.addr);
            std::thread::sleep(POLL);
        }
    }

    fn new_session(&self) -> String {
        let profile = self.profile.path().display();
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ]
        .map(String::from)
        .into();
        args.push(format!("--user-data-dir={profile}"));
        let mut options = json!({"binary": CHROMIUM, "args": args, "perfLoggingPrefs": {"enablePage": false}});
        let (width, height, ratio, mobile) = self.screen.metrics();
        if mobile {
            options["mobileEmulation"] = json!({"deviceMetrics":
                {"width": width, "height": height, "pixelRatio": ratio, "touch": true, "mobile": true}});
        } else {
            options["args"].as_array_mut().unwrap().push(json!(format!("--window-size={width},{height}")));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"performance": "ALL"},
            "timeouts": {"implicit": 0, "pageLoad": 30_000, "script": 30_000},
        }}});
        match self.raw("POST", "/session", Some(capabilities)) {
            Ok(value) => value["sessionId"].as_str().expect("a sessionId").to_string(),
            Err(f) => panic!("chromedriver could not start Chromium: {}: {}", f.error, f.message),
        }
    }

    /// One request to chromedriver: the answer's `value`, or the error it reports. Each request
    /// has a connection of its own, and its answer is read by its Content-Length: chromedriver
    /// keeps connections open even when asked to close them.
    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Failure> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let (addr, length) = (&self.addr, body.len());
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {length}\r\n");
        request.push_str("Content-Type: application/json; charset=utf-8\r\n\r\n");
        request.push_str(&body);
        let exchange = TcpStream::connect(addr).and_then(|mut stream| {
            stream.set_read_timeout(Some(Duration::from_secs(60)))?;
            stream.write_all(request.as_bytes())?;
            read_response(&mut stream, method)
        });
        let unanswered = |message: String| Failure { error: "no answer from chromedriver".into(), message };
        let response = match exchange {
            Ok(Some(response)) => response,
            Ok(None) => return Err(unanswered("it closed the connection".into())),
            Err(e) => return Err(unanswered(e.to_string())),
        };
        let mut answer: Value = serde_json::from_slice(&response.body)
            .map_err(|e| unanswered(format!("{} and no JSON ({e})", response.status)))?;
        let value = answer["value"].take();
        match response.status {
            200 => Ok(value),
            _ => Err(Failure {
                error: value["error"].as_str().unwrap_or("?").to_string(),
                message: value["message"].as_str().unwrap_or_default().lines().next().unwrap_or_default().to_string(),
            }),
        }
    }

    /// A command of this session (`path` below /session/{id}); its error is returned.
    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Failure> {
        self.raw(method, &format!("/session/{}{path}", self.session), body)
    }

    /// A command of this session; its error fails the test.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|f| self.fail(&format!("{method} {path}: {}: {}", f.error, f.message)))
    }

    /// Fails the test with `what`, after saving a screenshot named after the test.
    fn fail(&self, what: &str) -> ! {
        let thread = std::thread::current();
        let test: String = thread.name().unwrap_or("test").replace("::", "-");
        let name: String = test.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let saved = match self.save_png(&format!("failure-{name}")) {
            Ok(path) => format!("screenshot: {}", path.display()),
            Err(e) => format!("no screenshot: {e}"),
        };
        panic!("browser: {what} ({saved})");
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call("POST", "/goog/cdp/execute", Some(json!({"cmd": cmd, "params": params})))
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    pub fn title(&self) -> String {
        self.call("GET", "/title", None).as_str().unwrap_or_default().to_string()
    }

    /// The first element matching `css`, if any.
    pub fn find(&self, css: &str) -> Option<Element<'_>> {
        match self.try_call("POST", "/element", Some(json!({"using": "css selector", "value": css}))) {
            Ok(reference) => Some(self.element(&reference, css)),
            Err(f) if f.error == "no such element" => None,
            Err(f) => self.fail(&format!("find {css}: {}: {}", f.error, f.message)),
        }
    }

    /// Every element matching `css`, in document order.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let found = self.call("POST", "/elements", Some(json!({"using": "css selector", "value": css})));
        found.as_array().into_iter().flatten().map(|reference| self.element(reference, css)).collect()
    }

    fn element(&self, reference: &Value, css: &str) -> Element<'_> {
        let id = reference[ELEMENT].as_str().unwrap_or_else(|| self.fail(&format!("{css}: no element in {reference}")));
        Element::new(self, id, css)
    }

    /// The first element matching `css`, once there is one (present, not necessarily visible).
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element<'_> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(css) {
                return element;
            }
            if Instant::now() > deadline {
                self.fail(&format!("no {css} after {timeout:?}"));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the JavaScript expression `condition` is truthy.
    pub fn wait_until(&self, condition: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.exec(&format!("return !!({condition});"), vec![]) != true {
            if Instant::now() > deadline {
                self.fail(&format!("still not ({condition}) after {timeout:?}"));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Types `text` into the element matching `css` (waiting for it).
    pub fn type_into(&self, css: &str, text: &str) {
        self.wait_for(css, FIND).send_keys(text);
    }

    /// Runs a function body with `arguments` = `args`; what it returns.
    pub fn exec(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    /// Runs a function body whose last argument is a callback; what it passes the callback.
    pub fn exec_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.call("POST", "/execute/async", Some(json!({"script": script, "args": args})))
    }

    /// The current page's cookies, as WebDriver describes them ({name, value, domain, ...}).
    pub fn cookies(&self) -> Vec<Value> {
        self.call("GET", "/cookie", None).as_array().cloned().unwrap_or_default()
    }

    pub fn delete_cookies(&self) {
        self.call("DELETE", "/cookie", None);
    }

    /// Chooses `files` in the `<input type=file>` matching `css` (several need `multiple`).
    pub fn set_file_input(&self, css: &str, files: &[&Path]) {
        let paths: Vec<String> =
            files.iter().map(|f| std::path::absolute(f).expect("an absolute path").display().to_string()).collect();
        self.wait_for(css, FIND).send_keys(&paths.join("\n"));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() && matches!(self.driver.try_wait(), Ok(None)) {
            // Ending the session makes chromedriver quit Chromium.
            let _ = self.raw("DELETE", &format!("/session/{}", self.session), None);
        }
        // chromedriver leads its own process group, which Chromium runs in: take the group, in
        // case the session could not end.
        // SAFETY: kill(2) takes plain integers; the group is the one this browser started.
        unsafe { libc::kill(-(self.driver.id() as libc::pid_t), libc::SIGKILL) };
        let _ = self.driver.wait();
    }
}

/// Starts chromedriver on a port the kernel picks (`--port=0`) and reads the port from what it
/// prints once it listens, so that no other process can take the port in between. It leads a
/// process group of its own (Chromium inherits it), and a thread keeps reading its stdout.
fn spawn_driver() -> (Child, u16) {
    let mut driver = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver starts");
    let mut stdout = BufReader::new(driver.stdout.take().expect("stdout is piped"));
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
            if let Some(port) = line.trim().strip_prefix(STARTED) {
                let _ = port_tx.send(port.trim_end_matches('.').parse::<u16>().ok());
            }
            line.clear();
        }
    });
    match port_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Some(port)) => (driver, port),
        answer => {
            // SAFETY: as in Drop.
            unsafe { libc::kill(-(driver.id() as libc::pid_t), libc::SIGKILL) };
            let status = driver.wait();
            panic!("chromedriver said no port ({answer:?}; {status:?})");
        }
    }
}
