//! The web gallery over plain HTTP (issue 13): who gets the page and who keeps `hello world`,
//! the headers that keep the page to its own origin, versioned assets with ETag, gzip and
//! long-lived caching, the refusal of state-changing requests from another site's page (and
//! the old client, which names no origin, unaffected), and the `/web/*.json` endpoints.

use crate::common::http::Response;
use crate::common::Client;
use crate::family_library;
use std::io::Read;

const BROWSER: (&str, &str) = ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");

fn page(client: &mut Client) -> (Response, String) {
    let response = client.get_with("/", &[BROWSER]);
    let text = String::from_utf8(response.body.clone()).unwrap();
    (response, text)
}

/// The `/web/<version>/` prefix the page loads its assets from.
fn asset_prefix(page: &str) -> String {
    let at = page.find("/web/").expect("the page loads assets from /web/");
    let version: String = page[at + 5..].chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(version.len(), 12, "{page}");
    format!("/web/{version}/")
}

#[test]
fn programs_keep_hello_world_and_browsers_get_the_page_with_strict_headers() {
    let server = family_library();
    let mut client = server.client();
    for accept in [None, Some("*/*"), Some("application/json")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let response = client.get_with("/", &headers);
        assert_eq!((response.status, response.body.as_slice()), (200, &b"hello world"[..]), "Accept {accept:?}");
    }
    let (response, text) = page(&mut client);
    assert_eq!(response.status, 200);
    assert!(response.header("Content-Type").unwrap().starts_with("text/html"));
    assert!(text.contains("<script type=\"module\""), "{text}");
    let csp = response.header("Content-Security-Policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(response.header("X-Frame-Options"), Some("DENY"));
    assert_eq!(response.header("Referrer-Policy"), Some("no-referrer"));
    assert_eq!(response.header("Cache-Control"), Some("no-cache"));
    let etag = response.header("ETag").expect("an ETag").to_string();
    let again = client.get_with("/", &[BROWSER, ("If-None-Match", &etag)]);
    assert_eq!((again.status, again.body.len()), (304, 0));

    // The page's own places reload as the page; anything else under /web/ is not found.
    for place in ["/web/login", "/web/timeline", "/web/c/12", "/web/s/0123456789abcdef0123456789abcdef"] {
        let response = client.get_with(place, &[BROWSER]);
        assert_eq!(response.body, page(&mut client).1.as_bytes(), "{place}");
    }
    assert_eq!(client.get_with("/web/nothing", &[BROWSER]).status, 404);
    assert_eq!(client.get("/web/c/12").status, 404, "a place is a page only for browsers");
}

#[test]
fn assets_are_versioned_immutable_gzipped_and_revalidated_by_etag() {
    let server = family_library();
    let mut client = server.client();
    let prefix = asset_prefix(&page(&mut client).1);
    let plain = client.get(&format!("{prefix}main.js"));
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("Content-Type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(plain.header("Cache-Control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(plain.header("X-Content-Type-Options"), Some("nosniff"));
    assert_eq!(plain.header("Content-Encoding"), None);
    let zipped = client.get_with(&format!("{prefix}main.js"), &[("Accept-Encoding", "br, gzip;q=0.8")]);
    assert_eq!(zipped.header("Content-Encoding"), Some("gzip"));
    assert!(zipped.body.len() < plain.body.len());
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(zipped.body.as_slice()).read_to_end(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain.body);
    let etag = plain.header("ETag").unwrap().to_string();
    let revalidated = client.get_with(&format!("{prefix}main.js"), &[("If-None-Match", &etag)]);
    assert_eq!((revalidated.status, revalidated.body.len()), (304, 0));
    assert_eq!(client.get(&format!("{prefix}app.css")).header("Content-Type"), Some("text/css; charset=utf-8"));
    assert_eq!(client.get("/web/000000000000/main.js").status, 404, "an older version is not served");
    assert_eq!(client.get(&format!("{prefix}../main.js")).status, 404);
    assert_eq!(client.get(&format!("{prefix}nothing.js")).status, 404);
}

#[test]
fn a_request_from_another_sites_page_changes_nothing_and_the_old_client_is_unaffected() {
    let server = family_library();
    let mut client = server.client();
    let login = client.post_form("/login.icc", "userName=terry&password=123");
    let cookie = login.header("Set-Cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let root = client.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let create = |client: &mut Client, name: &str, headers: &[(&str, &str)]| {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        client.request("POST", "/createCatalog.icc", &all, format!("parentId={root}&name={name}").as_bytes())
    };
    let terry = server.app_dir().join("terry");
    // createCatalog makes `<name>_<date>_<n>` (protocol §9, 11).
    let made = |name: &str| {
        std::fs::read_dir(&terry)
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(&format!("{name}_")))
    };
    let own = format!("http://{}", server.addr);
    let refused: [&[(&str, &str)]; 4] = [
        &[("Origin", "http://evil.example")],
        &[("Origin", "null")],
        &[("Origin", "http://127.0.0.1:1")],
        &[("Sec-Fetch-Site", "cross-site")],
    ];
    for (n, headers) in refused.iter().enumerate() {
        let response = create(&mut client, &format!("evil{n}"), headers);
        assert_eq!((response.status, response.code()), (403, -10002), "{headers:?}");
        assert!(!made(&format!("evil{n}")), "{headers:?} made a folder");
    }
    // The same session from its own page, and the old client that names no origin.
    let response = create(&mut client, "fromPage", &[("Origin", &own), ("Sec-Fetch-Site", "same-origin")]);
    assert_eq!(response.code(), 0, "{response:?}");
    assert_eq!(create(&mut client, "fromApp", &[]).code(), 0);
    assert!(made("fromPage") && made("fromApp"));
    // A login through another site's page (login CSRF) is refused too, and so is a share link.
    let evil = [("Origin", "http://evil.example")];
    let body = b"userName=anna&password=456";
    let response = client.request("POST", "/login.icc", &evil, body);
    assert_eq!(response.code(), -10002);
    let a = crate::file_id(&mut client, "a.jpg");
    let response = client.get_with(&format!("/shareFileUrl.icc?id={a}"), &[("Sec-Fetch-Site", "cross-site")]);
    assert_eq!(response.code(), -10002);
    assert_eq!(
        client.get_with("/catalogs.icc?pids=-1", &[("Sec-Fetch-Site", "cross-site")]).code(),
        0,
        "reads are fine"
    );
}

#[test]
fn the_gallerys_json_endpoints_list_only_the_users_own_files() {
    let server = family_library();
    let mut terry = server.client();
    terry.login("terry", "123");
    let mut anna = server.client();
    anna.login("anna", "456");
    let terry_root = terry.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    let anna_root = anna.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();

    let all = terry.get("/web/files.json?sort=name").data();
    let names: Vec<&str> = all["list"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a.jpg", "b.png", "c.gif", "d.jpg", "notes.txt"]);
    assert_eq!(all["total"], 5);
    let page = terry.get("/web/files.json?sort=-name&offset=1&limit=2").data();
    let names: Vec<&str> = page["list"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!((names, page["total"].as_i64()), (vec!["d.jpg", "c.gif"], Some(5)));
    let here = terry.get(&format!("/web/files.json?pids={terry_root}&types=1")).data();
    assert_eq!(here["total"], 2, "a.jpg and b.png: {here}");
    let theirs = terry.get(&format!("/web/files.json?pids={anna_root}")).data();
    assert_eq!(theirs["total"], 0, "another user's folder lists nothing: {theirs}");

    let months = terry.get("/web/months.json?types=1,2,4").data();
    let counted: i64 = months.as_array().unwrap().iter().map(|m| m["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 4, "{months}");
    assert!(months.as_array().unwrap().iter().all(|m| m["month"].as_str().is_some_and(|s| s.len() == 7)));

    let sub = terry.get(&format!("/catalogs.icc?pids={terry_root}")).data()[0]["id"].as_i64().unwrap();
    let deeper = terry.get(&format!("/catalogs.icc?pids={sub}")).data()[0]["id"].as_i64().unwrap();
    let trail = terry.get(&format!("/web/trail.json?id={deeper}")).data();
    let ids: Vec<i64> = trail.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [terry_root, sub, deeper]);
    assert_eq!(terry.get(&format!("/web/trail.json?id={anna_root}")).code(), -10007);
    let covers = terry.get(&format!("/web/covers.json?ids={sub},{deeper},{anna_root}")).data();
    let covered: Vec<i64> = covers.as_array().unwrap().iter().map(|c| c["catalogId"].as_i64().unwrap()).collect();
    assert_eq!(covered, [sub, deeper], "{covers}");

    let a = crate::file_id(&mut terry, "a.jpg");
    let key = terry.get(&format!("/shareFileUrl.icc?id={a}")).data();
    let mut nobody = server.client();
    let shared = nobody.get(&format!("/web/shared.json?shareKey={}", key.as_str().unwrap())).data();
    assert_eq!((shared["name"].as_str(), shared["width"].as_i64()), (Some("a.jpg"), Some(64)));
    assert_eq!(nobody.get("/web/shared.json?shareKey=0123456789abcdef0123456789abcdef").code(), -10003);
    assert_eq!(nobody.get("/web/files.json").code(), -10001, "the listings need a session");
}
