//! The WebDriver client itself, on a page of its own (a data: URL) and on a page of a tiny
//! server run by the test, for images and a cookie: typing, clicks, a touch swipe, a mouse drag,
//! a double tap and a two-finger pinch, keys, scripts, a file input, screenshots at both screen sizes, the network log and cookies.
//! No iSync code runs here; the gallery's own tests live beside this module.

use crate::common::browser::{peak_in_flight, Browser, Screen};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How many images the page shows; the server holds each back until all were requested.
const IMAGES: usize = 3;
const WAIT: Duration = Duration::from_secs(10);

#[test]
fn the_harness_clicks_types_swipes_presses_keys_and_saves_screenshots() {
    let Some(browser) = Browser::start(Screen::Phone) else { return };
    let server = serve();
    browser.goto(&data_url(PAGE));
    assert_eq!(browser.title(), "harness");
    assert!(browser.url().starts_with("data:text/html"), "{}", browser.url());
    let screen = "return [innerWidth, innerHeight, devicePixelRatio, navigator.maxTouchPoints > 0,
        matchMedia('(pointer: coarse)').matches]";
    assert_eq!(browser.exec(screen, vec![]), json!([390, 844, 3, true, true]), "the phone's viewport");

    // Elements, typing and clicks.
    browser.type_into("#name", "Grandma's 80th");
    browser.wait_for("#add", WAIT).click();
    browser.find("#name").expect("#name").send_keys(" & cake");
    browser.find("#add").expect("#add").click();
    assert_eq!(browser.find("#out").unwrap().text(), "Grandma's 80th;Grandma's 80th & cake;");
    assert_eq!(browser.exec("return document.getElementById('name').value", vec![]), "Grandma's 80th & cake");
    let name = browser.find("#name").unwrap();
    assert_eq!(name.attr("placeholder").as_deref(), Some("your name"));
    assert_eq!(name.attr("data-missing"), None);
    assert!(browser.find("#nothing-here").is_none());
    assert_eq!(browser.find_all("li").len(), 0);
    assert!(browser.find("#pad").unwrap().displayed());
    assert!(!browser.find("#hidden").unwrap().displayed());

    // Scripts, with arguments (an element among them) and a callback.
    let pad = browser.find("#pad").unwrap();
    assert_eq!(browser.exec("return arguments[0] + arguments[1].length", vec![json!(40), json!([1, 2])]), 42);
    assert_eq!(browser.exec("return arguments[0].id", vec![pad.json()]), "pad");
    let later = "const done = arguments[arguments.length - 1]; setTimeout(() => done(arguments[0] * 2), 50)";
    assert_eq!(browser.exec_async(later, vec![json!(21)]), 42);

    // A touch swipe across the pad: pointer events at its ends, moves in between.
    let (x, y, width, height) = pad.rect();
    assert_eq!((width, height), (300.0, 200.0));
    let (from, to) = ((x + 20.0, y + 50.0), (x + 260.0, y + 150.0));
    browser.swipe(from, to, 300);
    let (start, end) = (at(from), at(to));
    assert_eq!(
        texts(&browser, "#pointer li"),
        [format!("pointerdown touch {start}"), format!("pointerup touch {end}")]
    );
    let moves: u32 = browser.find("#moves").unwrap().text().parse().unwrap();
    assert!(moves >= 5, "only {moves} pointermove events during the swipe");

    // A mouse drag back. The phone emulates touch, and Chromium turns the mouse into a finger.
    browser.exec("document.getElementById('pointer').replaceChildren()", vec![]);
    browser.mouse_drag(to, from, 200);
    let dragged = texts(&browser, "#pointer li");
    assert_eq!(dragged, [format!("pointerdown touch {end}"), format!("pointerup touch {start}")]);

    // A double tap at one point, then two fingers spread apart around the pad's centre.
    browser.exec("document.getElementById('pointer').replaceChildren()", vec![]);
    let centre = (x + 150.0, y + 100.0);
    browser.double_tap(centre);
    let tapped = texts(&browser, "#pointer li");
    let (down, up) = (format!("pointerdown touch {}", at(centre)), format!("pointerup touch {}", at(centre)));
    assert_eq!(tapped, [down.clone(), up.clone(), down, up]);
    browser.exec("document.getElementById('pointer').replaceChildren()", vec![]);
    browser.pinch(centre, 40.0, 200.0, 200);
    let mut pinched = texts(&browser, "#pointer li");
    pinched.sort();
    let (near, far) = ((-20.0, 20.0), (-100.0, 100.0));
    let finger = |kind: &str, dx: f64| format!("{kind} touch {}", at((centre.0 + dx, centre.1)));
    let mut expected = [
        finger("pointerdown", near.0),
        finger("pointerdown", near.1),
        finger("pointerup", far.0),
        finger("pointerup", far.1),
    ];
    expected.sort();
    assert_eq!(pinched, expected, "two fingers down close together, up far apart");

    // Keys, with the focus on the page itself.
    browser.exec("document.activeElement.blur()", vec![]);
    for key in ["ArrowRight", "ArrowLeft", "Escape", "Enter", "Tab"] {
        browser.press(key);
    }
    assert_eq!(texts(&browser, "#keys li"), ["ArrowRight", "ArrowLeft", "Escape", "Enter", "Tab"]);

    // Two files chosen in the file input.
    let files = tempfile::tempdir().unwrap();
    let (a, b) = (files.path().join("a.txt"), files.path().join("b.txt"));
    std::fs::write(&a, "hello").unwrap();
    std::fs::write(&b, "abc").unwrap();
    browser.set_file_input("#files", &[&a, &b]);
    let chosen = browser.exec("return [...document.getElementById('files').files].map(f => [f.name, f.size])", vec![]);
    assert_eq!(chosen, json!([["a.txt", 5], ["b.txt", 3]]));

    // Screenshots at both sizes, then the phone's screen again.
    let shots = browser.screenshots("harness");
    assert_eq!(browser.exec(screen, vec![]), json!([390, 844, 3, true, true]), "the phone's viewport is back");
    let sizes: Vec<(u32, u32)> =
        shots.iter().map(|shot| image::open(shot).expect("a PNG").into_rgb8().dimensions()).collect();
    assert_eq!(sizes, [(1170, 2532), (1280, 800)], "{shots:?}: 390×844 at ratio 3, 1280×800 at ratio 1");

    // A page of the local server with its images (Chromium blocks requests to 127.0.0.1 from a
    // data: page: "InsecureLocalNetwork"): all in flight at once, since the server holds each
    // back until all were asked for, then loaded.
    let page = format!("http://{server}/page");
    browser.goto(&page);
    assert_eq!((browser.url(), browser.title()), (page, "photos".to_string()));
    assert_eq!(browser.find_all("img").len(), IMAGES);
    browser.wait_until("[...document.images].every(image => image.complete && image.naturalWidth === 8)", WAIT);
    let events = browser.network_events();
    assert_eq!(peak_in_flight(&events, "/img?"), IMAGES, "{}", summary(&events));
    assert_eq!(peak_in_flight(&events, "/nothing"), 0);
    assert!(browser.network_events().iter().all(|e| !e.to_string().contains("/img?")), "events are consumed");

    // The page's cookie (the profile is fresh), then none.
    let cookies: Vec<(Value, Value)> =
        browser.cookies().iter().map(|c| (c["name"].clone(), c["value"].clone())).collect();
    assert_eq!(cookies, [(json!("flavour"), json!("oat"))]);
    browser.delete_cookies();
    assert_eq!(browser.cookies(), Vec::<Value>::new());
}

/// "x,y" of a point as the page records it (rounded CSS px).
fn at(point: (f64, f64)) -> String {
    format!("{},{}", point.0.round(), point.1.round())
}

fn texts(browser: &Browser, css: &str) -> Vec<String> {
    browser.find_all(css).iter().map(|element| element.text()).collect()
}

/// The methods and URLs of network events, for a failure message.
fn summary(events: &[Value]) -> String {
    let line = |e: &Value| format!("{} {}", e["method"], e["params"]["request"]["url"].as_str().unwrap_or_default());
    events.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// The test page: a name field and a button that appends it to #out; a pad that records its
/// pointer downs and ups (type, pointer type, position) in #pointer and counts moves in #moves;
/// keys pressed outside the field listed in #keys; a hidden paragraph; a file input.
const PAGE: &str = r#"<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>harness</title>
<style>body { margin: 0; font: 16px sans-serif } #hidden { display: none }
#pad { width: 300px; height: 200px; background: #9cf; touch-action: none }</style></head>
<body><input id="name" placeholder="your name"><button id="add">add</button><p id="out"></p>
<div id="pad"></div><p id="moves">0</p><ol id="pointer"></ol><ol id="keys"></ol><p id="hidden">hidden</p>
<input id="files" type="file" multiple>
<script>
{
  const byId = id => document.getElementById(id);
  const record = (list, text) => {
    const item = document.createElement('li');
    item.textContent = text;
    byId(list).append(item);
  };
  const [field, out, pad, moves] = ['name', 'out', 'pad', 'moves'].map(byId);
  byId('add').addEventListener('click', () => { out.textContent += field.value + ';'; });
  for (const type of ['pointerdown', 'pointerup', 'pointercancel'])
    pad.addEventListener(type, e => record('pointer',
      `${e.type} ${e.pointerType} ${Math.round(e.clientX)},${Math.round(e.clientY)}`));
  pad.addEventListener('pointermove', e => { if (e.buttons) moves.textContent = +moves.textContent + 1; });
  document.addEventListener('keydown', e => { if (e.target !== field) record('keys', e.key); });
}
</script></body></html>"#;

/// `html` as a data: URL.
fn data_url(html: &str) -> String {
    let mut url = String::from("data:text/html;charset=utf-8,");
    for byte in html.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => url.push(byte as char),
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

/// Serves 127.0.0.1:0 from threads until the test process ends, one request per connection:
/// `/img?<n>` an 8×8 PNG, each held back until IMAGES image requests have arrived (5 s at most)
/// so that they are all in flight at once; `/page` a page titled "photos" with IMAGES of them
/// that sets the cookie `flavour=oat`; anything else 404. Returns its address.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap().to_string();
    let arrived = Arc::new((Mutex::new(0), Condvar::new()));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let arrived = Arc::clone(&arrived);
            std::thread::spawn(move || answer(stream, &arrived));
        }
    });
    addr
}

fn answer(mut stream: TcpStream, arrived: &(Mutex<usize>, Condvar)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let (mut request, mut line) = (String::new(), String::new());
    let _ = reader.read_line(&mut request);
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear(); // headers, up to the empty line
    }
    let path = request.split_whitespace().nth(1).unwrap_or_default();
    let (status, headers, body) = if path.starts_with("/img?") {
        let (count, all_came) = arrived;
        let mut count = count.lock().unwrap();
        *count += 1;
        all_came.notify_all();
        drop(all_came.wait_timeout_while(count, Duration::from_secs(5), |n| *n < IMAGES).unwrap());
        ("200 OK", "Content-Type: image/png\r\n", png())
    } else if path == "/page" {
        let headers = "Content-Type: text/html; charset=utf-8\r\nSet-Cookie: flavour=oat; Path=/\r\n";
        let images: String = (1..=IMAGES).map(|n| format!(r#"<img src="/img?{n}" width="40" height="40">"#)).collect();
        ("200 OK", headers, format!("<!doctype html><title>photos</title>{images}").into_bytes())
    } else {
        ("404 Not Found", "", Vec::new())
    };
    let length = body.len();
    let head = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&body));
}

/// An 8×8 orange PNG.
fn png() -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(8, 8, image::Rgb([240, 140, 40]))
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}
