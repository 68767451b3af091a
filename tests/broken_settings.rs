//! A broken `appConfigs.json` (issue 12 item 9): the server still starts, on the defaults, and
//! says so on stderr and in the log, naming the file; `scan` says so too. So does every setting
//! it cannot use, one line each.

use crate::common::run_isync;
use crate::common::served::Served;

#[test]
fn a_broken_settings_file_is_reported_on_stderr_and_in_the_log_and_the_defaults_apply() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("appConfigs.json");
    std::fs::write(&file, r#"{"thumbPath": "/mnt/usb/thumbs", "onlineTimeout": 60,"#).unwrap();
    let warning = format!("{} is not valid JSON: it is ignored and every setting has its default", file.display());
    let server = Served::start(dir.path(), dir.path().join("stderr"));
    let log = std::fs::read_to_string(dir.path().join("building/appLog.log")).expect("the default log file");
    assert!(log.contains(&warning) && log.contains("[WARN]"), "the log: {log}");
    assert!(server.stderr().contains(&warning), "stderr: {}", server.stderr());
    assert!(dir.path().join("building/thumbs").is_dir(), "the default thumbnail cache is used");
    drop(server);
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let (code, _, stderr) = run_isync(dir.path(), &["scan", "-p", media.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&warning), "scan: {stderr}");
}

#[test]
fn each_unusable_setting_is_reported_once_and_the_others_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let settings = r#"{"thumbPath": 7, "onlineTimeout": "soon", "onlineThreshold": 5, "tumbPath": "x"}"#;
    std::fs::write(dir.path().join("appConfigs.json"), settings).unwrap();
    let server = Served::start(dir.path(), dir.path().join("stderr"));
    let stderr = server.stderr();
    for warning in [
        "appConfigs.json: thumbPath is not a path; using building/thumbs",
        "appConfigs.json: onlineTimeout is not a number; using 3600",
        "appConfigs.json: unknown setting \"tumbPath\" ignored",
    ] {
        assert_eq!(stderr.matches(warning).count(), 1, "{warning} in {stderr}");
    }
    assert!(stderr.contains("sessions 5×3600s"), "the usable setting applies: {stderr}");
}
