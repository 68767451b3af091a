//! `/`, login, logout, sessions (expiry, eviction, per-login logout) and help info.

use crate::common::{Client, TestServer};
use crate::family_library;

#[test]
fn root_says_hello_world_as_html_for_get_post_and_head() {
    let server = TestServer::start();
    let mut client = server.client();
    let response = client.get("/");
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"hello world");
    assert_eq!(response.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert_eq!(client.post_form("/", "").body, b"hello world");
    let head = client.request("HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn login_sets_a_random_http_only_session_cookie_and_returns_the_previous_login_time() {
    let server = family_library();
    let mut client = server.client();
    let response = client.post_form("/login.icc", "userName=terry&password=123");
    let cookie = response.header("Set-Cookie").unwrap().to_string();
    assert!(cookie.starts_with("session=") && cookie.ends_with("; Path=/; HttpOnly; SameSite=Lax"), "{cookie}");
    let token = cookie.trim_start_matches("session=").split(';').next().unwrap();
    assert!(token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    let user = response.data();
    assert_eq!(user["name"], "terry");
    assert_eq!(user["lastLoginDate"], user["createTime"], "first login reports the creation time");
    assert!(user.get("password").is_none());
    let second = Client::new(&server.addr).post_form("/login.icc", "userName=terry&password=123");
    let second_token = second.header("Set-Cookie").unwrap().to_string();
    assert_ne!(cookie, second_token, "every login gets its own token");
}

#[test]
fn login_is_ascii_case_insensitive_on_the_name_only() {
    let server = family_library();
    let mut client = server.client();
    assert_eq!(client.post_form("/login.icc", "userName=TERRY&password=123").code(), 0);
    assert_eq!(client.post_form("/login.icc", "userName=terry&password=1234").code(), -10000);
    assert_eq!(client.post_form("/login.icc", "userName=nobody&password=123").code(), -10000);
    assert_eq!(client.post_form("/login.icc", "userName=terry").code(), -10003);
    assert_eq!(client.get("/login.icc?userName=terry&password=123").code(), 0, "GET with a query works too");
    assert_eq!(client.post_json("/login.icc", r#"{"userName": "anna", "password": "456"}"#).code(), 0);
}

#[test]
fn protected_endpoints_need_a_session_before_looking_at_parameters() {
    let server = family_library();
    let mut client = server.client();
    for path in ["/catalogs.icc", "/files.icc", "/helpInfo.icc", "/shareFileUrl.icc", "/uploadingInfo.icc"] {
        let response = client.get(path);
        assert_eq!((response.status, response.code()), (200, -10001), "{path}");
    }
    let down = client.get("/downFile.icc.mp4?id=1");
    assert_eq!((down.status, down.code()), (403, -10001));
    client.cookie = Some("0".repeat(64));
    assert_eq!(client.get("/catalogs.icc?pids=-1").code(), -10001, "forged tokens are refused");
}

#[test]
fn logout_ends_only_the_presented_session_and_clears_the_cookie() {
    let server = family_library();
    let (mut phone, mut tablet) = (server.client(), server.client());
    phone.login("terry", "123");
    tablet.login("terry", "123");
    let response = phone.post_form("/logout.icc", "");
    assert_eq!(response.json(), serde_json::json!({"code": 0, "data": ""}));
    assert!(response.header("Set-Cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(phone.get("/catalogs.icc?pids=-1").code(), -10001);
    assert_eq!(tablet.get("/catalogs.icc?pids=-1").code(), 0, "the other device stays logged in");
    assert_eq!(Client::new(&server.addr).post_form("/logout.icc", "").code(), 0, "logout without a session is fine");
}

#[test]
fn sessions_expire_after_online_timeout_of_inactivity_and_activity_slides_it() {
    let server = TestServer::start_with(|dir| {
        std::fs::write(dir.join("appConfigs.json"), r#"{"onlineTimeout": "2"}"#).unwrap();
        crate::common::scan_config(dir, &[("terry", "123", &[])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(client.get("/catalogs.icc?pids=-1").code(), 0, "activity keeps the session alive");
    }
    std::thread::sleep(std::time::Duration::from_millis(3200));
    assert_eq!(client.get("/catalogs.icc?pids=-1").code(), -10001);
}

#[test]
fn the_least_recently_active_session_is_evicted_beyond_online_threshold() {
    let server = TestServer::start_with(|dir| {
        std::fs::write(dir.join("appConfigs.json"), r#"{"onlineThreshold": 2}"#).unwrap();
        crate::common::scan_config(dir, &[("terry", "123", &[])]);
    });
    let (mut a, mut b, mut c) = (server.client(), server.client(), server.client());
    a.login("terry", "123");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    b.login("terry", "123");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(a.get("/catalogs.icc?pids=-1").code(), 0, "a is now more recent than b");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    c.login("terry", "123");
    assert_eq!(b.get("/catalogs.icc?pids=-1").code(), -10001, "b was least recently active");
    assert_eq!(a.get("/catalogs.icc?pids=-1").code(), 0);
    assert_eq!(c.get("/catalogs.icc?pids=-1").code(), 0);
}

#[test]
fn help_info_round_trips_for_user_catalog_and_file_and_hides_other_users_records() {
    let server = family_library();
    let mut terry = server.client();
    terry.login("terry", "123");
    assert_eq!(
        terry.post_form("/updateHelpInfo.icc", "type=0&helpInt=5&helpText=hi").json(),
        serde_json::json!({"code": 0})
    );
    let info = terry.get("/helpInfo.icc?type=0").data();
    assert_eq!((info["helpInt"].as_i64(), info["helpText"].as_str()), (Some(5), Some("hi")));
    assert!(info["lastModifyTime"].is_i64());
    let root = terry.get("/catalogs.icc?pids=-1").data()[0]["id"].as_i64().unwrap();
    assert_eq!(terry.post_form("/updateHelpInfo.icc", &format!("type=1&id={root}&helpText=")).code(), 0);
    assert_eq!(terry.get(&format!("/helpInfo.icc?type=1&id={root}")).data()["helpText"], "");
    assert_eq!(terry.post_form("/updateHelpInfo.icc", "type=1&id=5").code(), -10003, "nothing to update");
    assert_eq!(terry.get("/helpInfo.icc?type=3").code(), -10003);
    assert_eq!(terry.get("/helpInfo.icc?type=1").code(), -10003, "id must be > 0 for catalogs");
    let mut anna = server.client();
    anna.login("anna", "456");
    assert_eq!(anna.get(&format!("/helpInfo.icc?type=1&id={root}")).data(), serde_json::json!({}));
    assert_eq!(anna.post_form("/updateHelpInfo.icc", &format!("type=1&id={root}&helpInt=9")).code(), 0);
    assert_eq!(
        terry.get(&format!("/helpInfo.icc?type=1&id={root}")).data()["helpInt"],
        serde_json::Value::Null,
        "anna changed nothing"
    );
    assert_eq!(terry.get("/helpInfo.icc?type=2&id=999999").data(), serde_json::json!({}));
}

#[test]
fn repeated_wrong_passwords_block_the_client_for_a_while_and_each_is_logged() {
    let server = family_library();
    let mut client = server.client();
    for _ in 0..6 {
        assert_eq!(client.post_form("/login.icc", "userName=terry&password=wrong").code(), -10000);
    }
    let blocked = client.post_form("/login.icc", "userName=terry&password=123");
    assert_eq!(blocked.code(), -10000, "even the right password is refused while the client is blocked");
    std::thread::sleep(std::time::Duration::from_millis(3100)); // the 6th failure blocks for 2 s
    assert_eq!(client.post_form("/login.icc", "userName=terry&password=123").code(), 0, "the block ends by itself");
    let log = std::fs::read_to_string(server.app_dir().join("building/appLog.log")).unwrap();
    assert_eq!(log.matches("login failed for \"terry\" from 127.0.0.1").count(), 6, "{log}");
    assert!(log.contains("login refused for \"terry\" from 127.0.0.1: too many failed logins"), "{log}");
}

#[test]
fn a_thousand_wrong_logins_from_one_address_cost_a_few_hashes_and_the_family_logs_in_at_once() {
    let server = family_library();
    let mut attacker = server.client().keep_alive();
    for _ in 0..1000 {
        assert_eq!(attacker.post_form("/login.icc", "userName=terry&password=guess").code(), -10000);
    }
    // The real user, from another address, is not kept waiting by the attacker's failures.
    let answer = login_from([127, 0, 0, 2], &server.addr, "terry", "123");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert_eq!(json["code"], 0, "{answer}");
    let log = std::fs::read_to_string(server.app_dir().join("building/appLog.log")).unwrap();
    let verified = log.matches("login failed for \"terry\" from 127.0.0.1").count();
    let refused = log.matches("login refused for \"terry\" from 127.0.0.1").count();
    assert!(verified <= 20, "{verified} of 1000 wrong passwords were checked against the hash");
    assert_eq!(verified + refused, 1000, "one log line per failed or refused login");
}

/// Logs in from the loopback address `source` (not 127.0.0.1); returns the raw answer.
fn login_from(source: [u8; 4], addr: &str, user: &str, password: &str) -> String {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    let server: std::net::SocketAddrV4 = addr.parse().expect("an IPv4 test server");
    let sockaddr = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(ip).to_be() },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a new socket, owned by the TcpStream made of it at once; the addresses outlive
    // the calls that read them.
    let mut stream = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let stream = std::net::TcpStream::from_raw_fd(fd);
        let (local, remote) = (sockaddr(source.into(), 0), sockaddr(*server.ip(), server.port()));
        assert_eq!(libc::bind(fd, (&raw const local).cast(), len), 0, "bind: {}", std::io::Error::last_os_error());
        assert_eq!(libc::connect(fd, (&raw const remote).cast(), len), 0, "{}", std::io::Error::last_os_error());
        stream
    };
    let form = format!("userName={user}&password={password}");
    let request = format!(
        "POST /login.icc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
