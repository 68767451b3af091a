//! The command line: help, version, bad flags, the configuration tool.

use crate::common::run_isync;

#[test]
fn help_and_version_succeed_and_bad_flags_exit_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run_isync(dir.path(), &["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("serve") && out.contains("scan") && out.contains("config"));
    let (code, out, _) = run_isync(dir.path(), &["--version"]);
    assert_eq!((code, out.starts_with("isync ")), (0, true));
    for args in [&["serve", "--bogus"][..], &["dance"], &["serve", "--listen", "nowhere"], &[]] {
        let (code, _, err) = run_isync(dir.path(), args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
}

#[test]
fn the_config_tool_writes_numbers_keeps_unknown_keys_and_rejects_unknown_options() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appConfigs.json");
    std::fs::write(&file, r#"{"custom": "kept", "onlineTimeout": "77"}"#).unwrap();
    let thumbs = dir.path().join("t");
    let (code, _, err) = run_isync(
        dir.path(),
        &["config", "--onlineThreshold=500", "--shareUrlTimeout", "abc", "--thumbPath", thumbs.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(json["onlineThreshold"], 500);
    assert_eq!(json["shareUrlTimeout"], 1800, "a non-integer keeps the current value (the default)");
    assert_eq!(json["custom"], "kept");
    assert_eq!(json["onlineTimeout"], "77", "untouched keys stay as they were");
    assert!(thumbs.is_dir());
    let before = std::fs::read_to_string(&file).unwrap();
    let (code, _, _) = run_isync(dir.path(), &["config", "--onlineThreshold=1", "--nope=2"]);
    assert_eq!(code, 2);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before, "nothing written");
    let (code, _, _) = run_isync(dir.path(), &["config"]);
    assert_eq!(code, 0);
}

#[test]
fn the_config_tool_never_truncates_an_existing_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/app.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, b"old lines\n").unwrap();
    let (code, _, _) = run_isync(dir.path(), &["config", "--logFileName", log.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&log).unwrap(), b"old lines\n");
}

#[test]
fn port_zero_prints_the_real_address_first_and_serves_it() {
    let server = crate::common::TestServer::start();
    assert!(server.addr.starts_with("127.0.0.1:") && !server.addr.ends_with(":0"));
    assert_eq!(server.client().get("/").status, 200);
}
