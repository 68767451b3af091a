//! The Buildroot tree cannot be built here (Buildroot is not downloadable), so it is checked
//! statically: the BR2_EXTERNAL glue, the package's required variables, the defconfigs naming
//! the package, and the shell scripts' syntax (plus shellcheck when it is installed).

use std::path::{Path, PathBuf};
use std::process::Command;

fn tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("buildroot")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(tree().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn the_external_tree_names_itself_isync_and_includes_every_package() {
    assert!(read("external.desc").lines().any(|l| l.trim() == "name: ISYNC"));
    assert!(read("Config.in").contains("source \"$BR2_EXTERNAL_ISYNC_PATH/package/isync/Config.in\""));
    assert!(read("external.mk").contains("$(BR2_EXTERNAL_ISYNC_PATH)/package/*/*.mk"));
}

#[test]
fn the_package_defines_what_buildroot_requires() {
    let mk = read("package/isync/isync.mk");
    assert!(mk.starts_with(&format!("{}\n#\n# isync\n#\n{}\n", "#".repeat(80), "#".repeat(80))), "banner");
    for variable in ["ISYNC_VERSION", "ISYNC_SITE", "ISYNC_SITE_METHOD", "ISYNC_LICENSE", "ISYNC_LICENSE_FILES"] {
        assert!(mk.lines().any(|l| l.starts_with(&format!("{variable} ="))), "{variable} is defined");
    }
    for block in ["define ISYNC_USERS", "define ISYNC_INSTALL_TARGET_CMDS", "define ISYNC_INSTALL_INIT_SYSV"] {
        assert!(mk.contains(block), "{block}");
    }
    assert!(mk.trim_end().ends_with("$(eval $(generic-package))"));
    assert!(mk.contains("isync -1 isync -1 *"), "a non-root daemon user with a locked password");
    let config = read("package/isync/Config.in");
    assert!(config.contains("config BR2_PACKAGE_ISYNC\n"));
    assert!(config.contains("config BR2_PACKAGE_ISYNC_PREBUILT_DIR"));
    let license = Path::new(env!("CARGO_MANIFEST_DIR")).join("LICENSE");
    assert!(license.is_file(), "ISYNC_LICENSE_FILES names the LICENSE that make dist copies");
}

#[test]
fn both_defconfigs_select_the_package_overlay_and_post_build_script() {
    for (name, arch) in
        [("isync_raspberrypi4_64_defconfig", "BR2_aarch64=y"), ("isync_raspberrypi3_32_defconfig", "BR2_arm=y")]
    {
        let defconfig = read(&format!("configs/{name}"));
        assert!(defconfig.lines().any(|l| l == arch), "{name}: {arch}");
        assert!(defconfig.lines().any(|l| l == "BR2_PACKAGE_ISYNC=y"), "{name}");
        assert!(defconfig.contains("BR2_ROOTFS_OVERLAY=\"$(BR2_EXTERNAL_ISYNC_PATH)/board/isync/rootfs-overlay\""));
        assert!(defconfig.contains("$(BR2_EXTERNAL_ISYNC_PATH)/board/isync/post-build.sh"));
        for line in defconfig.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            assert!(line.starts_with("BR2_") && line.contains('='), "{name}: not a config line: {line}");
        }
    }
    assert!(read("board/isync/rootfs-overlay/etc/default/isync").contains("ISYNC_APP_DIR="));
}

#[test]
fn the_init_and_post_build_scripts_are_valid_shell() {
    for script in
        ["package/isync/S95isync", "board/isync/post-build.sh", "board/isync/rootfs-overlay/etc/default/isync"]
    {
        let path = tree().join(script);
        let status = Command::new("sh").arg("-n").arg(&path).status().unwrap();
        assert!(status.success(), "sh -n {script}");
        match Command::new("shellcheck").args(["-s", "sh"]).arg(&path).output() {
            Ok(out) => assert!(out.status.success(), "shellcheck {script}:\n{}", String::from_utf8_lossy(&out.stdout)),
            Err(_) => crate::common::skipped(&format!("shellcheck not run on {script}: not installed (sh -n passed)")),
        }
    }
    let init = read("package/isync/S95isync");
    assert!(
        init.contains("/etc/default/isync")
            && init.contains("start-stop-daemon")
            && init.contains("-c \"$ISYNC_USER\"")
    );
}

#[test]
fn the_init_script_starts_and_stops_the_server_with_the_configured_settings() {
    // Run S95isync against a fake start-stop-daemon that records its arguments.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls");
    let fake = dir.path().join("start-stop-daemon");
    std::fs::write(&fake, format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display())).unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let chown = dir.path().join("chown");
    std::fs::write(&chown, "#!/bin/sh\nexit 0\n").unwrap();
    std::process::Command::new("chmod").arg("+x").arg(&chown).status().unwrap();
    let app_dir = dir.path().join("app");
    let path_env = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap_or_default());
    let script = tree().join("package/isync/S95isync");
    let text = std::fs::read_to_string(&script)
        .unwrap()
        .replace("/etc/default/isync", &dir.path().join("default").display().to_string());
    let patched = dir.path().join("S95isync");
    std::fs::write(&patched, text).unwrap();
    std::fs::write(
        dir.path().join("default"),
        format!("ISYNC_APP_DIR={}\nISYNC_LISTEN=127.0.0.1:5999\nISYNC_OPTS=\"--scan --init\"\n", app_dir.display()),
    )
    .unwrap();
    for action in ["start", "stop"] {
        let out = Command::new("sh").arg(&patched).arg(action).env("PATH", &path_env).output().unwrap();
        assert!(out.status.success(), "{action}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("OK"));
    }
    let calls = std::fs::read_to_string(&log).unwrap();
    let start = calls.lines().next().unwrap();
    assert!(start.starts_with("-S ") && start.contains("-c isync"), "{start}");
    assert!(
        start.contains(&format!("-- --app-dir {} serve --listen 127.0.0.1:5999 --scan --init", app_dir.display())),
        "{start}"
    );
    assert!(calls.lines().nth(1).unwrap().starts_with("-K "));
    assert!(app_dir.is_dir());
}
