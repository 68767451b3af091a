//! The command line: `isync [--app-dir DIR] <serve|scan|config> [options]`,
//! `isync install|uninstall [options]`, `--help`, `--version`.
//! It turns argv into a `Cli` value and nothing else: no file is touched here. Unknown flags are
//! errors (exit status 2, one line). `scan` and `config` keep their options in the order given,
//! because the protocol (§7.1, §8.2) processes them in that order.

use isync::config::tool as config_tool;
use isync::scan::ScanStep;
use isync::setup::install::InstallOptions;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const HELP: &str = "\
isync — a small home media server (the successor of iSyncServer)

USAGE:
  isync [--app-dir DIR] serve [--listen ADDR] [--workers N] [--scan] [--init] [--ffmpeg PATH]
  isync [--app-dir DIR] scan [-i FILE] [-p PATH]...
  isync [--app-dir DIR] config [--NAME=VALUE]...
  isync install [--media DIR]... [--listen ADDR] [--root DIR]
  isync uninstall [--root DIR]
  isync --help | --version

COMMANDS:
  serve    Run the HTTP server (default listen 0.0.0.0:5000; port 0 picks a free port and the
           first stdout line says `listening on http://ADDR`). --scan scans with
           scanDiskConfig.json before serving, as the original start script did.
           --init sets up a first user and a media/ folder when there are no users yet.
           --ffmpeg names the program that grabs video frames (default: ffmpeg on PATH).
  scan     Scan folders into the database: no option = APPDIR/scanDiskConfig.json,
           -i FILE = another config file (later options are ignored), -p PATH = rescan one path
           (repeatable, no user handling).
  config   Edit APPDIR/appConfigs.json: --logFileName --thumbPath --defaultUserPath
           --shareUrlThreshold --shareUrlTimeout --onlineThreshold --onlineTimeout

  install  As root on Raspberry Pi OS (systemd): copy this binary to /usr/local/bin, add the
           user isync, create /var/lib/isync with a starter scan configuration for the
           --media folders (default /mnt/media), and enable a hardened isync.service.
           --root DIR writes the files under DIR instead and runs no system command.
  uninstall Remove the service, the user declaration and the binary; keep data and media.

OPTIONS:
  --app-dir DIR   Where dataManager.db, appConfigs.json, scanDiskConfig.json and building/ live
                  (default: the directory that contains the isync executable)
";

#[derive(Debug, PartialEq)]
pub enum Command {
    Serve { listen: SocketAddr, workers: usize, scan_first: bool, first_run: bool, ffmpeg: Option<PathBuf> },
    Scan(Vec<ScanStep>),
    Config(Vec<(String, String)>),
    Install(InstallOptions),
    Uninstall { root: PathBuf },
    Help,
    Version,
}

#[derive(Debug)]
pub struct Cli {
    pub app_dir: Option<PathBuf>,
    pub command: Command,
}

pub fn parse(args: Vec<OsString>) -> Result<Cli, String> {
    let mut args = pico_args::Arguments::from_vec(args);
    if args.contains(["-h", "--help"]) {
        return Ok(Cli { app_dir: None, command: Command::Help });
    }
    if args.contains(["-V", "--version"]) {
        return Ok(Cli { app_dir: None, command: Command::Version });
    }
    let app_dir: Option<PathBuf> = args.opt_value_from_str("--app-dir").map_err(|e| e.to_string())?;
    let command = match args.subcommand().map_err(|e| e.to_string())?.as_deref() {
        Some("serve") => parse_serve(&mut args)?,
        Some("scan") => Command::Scan(parse_scan(rest(args)?)?),
        Some("config") => Command::Config(parse_config(rest(args)?)?),
        Some("install") => Command::Install(parse_install(&mut args)?),
        Some("uninstall") => {
            let root = args.opt_value_from_str("--root").map_err(|e| e.to_string())?.unwrap_or_else(|| "/".into());
            reject_leftovers(args, "uninstall")?;
            Command::Uninstall { root }
        }
        Some(other) => return Err(format!("unknown command '{other}' (try --help)")),
        None => return Err("a command is needed: serve, scan or config (try --help)".into()),
    };
    Ok(Cli { app_dir, command })
}

fn rest(args: pico_args::Arguments) -> Result<Vec<String>, String> {
    args.finish().into_iter().map(|a| a.into_string().map_err(|a| format!("argument is not UTF-8: {a:?}"))).collect()
}

fn parse_serve(args: &mut pico_args::Arguments) -> Result<Command, String> {
    let listen = args
        .opt_value_from_str("--listen")
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 5000)));
    let default_workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4) * 2;
    let workers: usize = args.opt_value_from_str("--workers").map_err(|e| e.to_string())?.unwrap_or(default_workers);
    if !(1..=64).contains(&workers) {
        return Err("--workers must be between 1 and 64".into());
    }
    let scan_first = args.contains("--scan");
    let first_run = args.contains("--init");
    let ffmpeg = args.opt_value_from_str("--ffmpeg").map_err(|e| e.to_string())?;
    reject_leftovers(args.clone(), "serve")?;
    Ok(Command::Serve { listen, workers, scan_first, first_run, ffmpeg })
}

fn parse_install(args: &mut pico_args::Arguments) -> Result<InstallOptions, String> {
    let root = args.opt_value_from_str("--root").map_err(|e| e.to_string())?.unwrap_or_else(|| "/".into());
    let listen: SocketAddr = args
        .opt_value_from_str("--listen")
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 5000)));
    let mut media: Vec<PathBuf> = args.values_from_str("--media").map_err(|e| e.to_string())?;
    if media.is_empty() {
        media.push("/mnt/media".into());
    }
    if let Some(relative) = media.iter().find(|m| !m.is_absolute()) {
        return Err(format!("--media needs an absolute path, not {}", relative.display()));
    }
    reject_leftovers(args.clone(), "install")?;
    Ok(InstallOptions { root, media, listen: listen.to_string() })
}

fn reject_leftovers(args: pico_args::Arguments, command: &str) -> Result<(), String> {
    match args.finish().first() {
        Some(arg) => Err(format!("unexpected argument for {command}: {}", arg.to_string_lossy())),
        None => Ok(()),
    }
}

fn parse_scan(args: Vec<String>) -> Result<Vec<ScanStep>, String> {
    let mut steps = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "-i" => {
                steps.push(ScanStep::ConfigFile(value("-i")?.into()));
                break; // processing stops after -i (protocol §7.1)
            }
            "-p" => steps.push(ScanStep::Path(value("-p")?.into())),
            flag if flag.starts_with('-') => return Err(format!("unknown scan option '{flag}'")),
            _ => {} // extra non-option arguments are ignored
        }
    }
    if steps.is_empty() {
        steps.push(ScanStep::DefaultConfig);
    }
    Ok(steps)
}

fn parse_config(args: Vec<String>) -> Result<Vec<(String, String)>, String> {
    let mut settings = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(option) = arg.strip_prefix("--") else {
            return Err(format!("unexpected argument '{arg}' (options look like --onlineThreshold=500)"));
        };
        let (key, value) = match option.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (option.to_string(), args.next().ok_or_else(|| format!("--{option} needs a value"))?),
        };
        if !config_tool::is_setting(&key) {
            return Err(format!("unknown option '--{key}'"));
        }
        settings.push((key, value));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Cli, String> {
        parse(words.split_whitespace().map(OsString::from).collect())
    }

    #[test]
    fn scan_keeps_option_order_and_stops_after_i() {
        let cli = parse_words("--app-dir /a scan -p x -i f.json -p y").unwrap();
        assert_eq!(cli.app_dir, Some(PathBuf::from("/a")));
        assert_eq!(cli.command, Command::Scan(vec![ScanStep::Path("x".into()), ScanStep::ConfigFile("f.json".into())]));
        assert_eq!(parse_words("scan").unwrap().command, Command::Scan(vec![ScanStep::DefaultConfig]));
    }

    #[test]
    fn config_accepts_both_value_spellings_and_rejects_unknown_keys() {
        let cli = parse_words("config --onlineThreshold=500 --thumbPath /t").unwrap();
        let expected = vec![("onlineThreshold".into(), "500".into()), ("thumbPath".into(), "/t".into())];
        assert_eq!(cli.command, Command::Config(expected));
        assert!(parse_words("config --bogus=1").is_err());
    }

    #[test]
    fn serve_reads_listen_and_rejects_strangers() {
        let cli = parse_words("serve --listen 127.0.0.1:0 --app-dir /x").unwrap();
        assert_eq!(cli.app_dir, Some(PathBuf::from("/x")));
        assert!(matches!(cli.command, Command::Serve { listen, .. } if listen.port() == 0));
        assert!(parse_words("serve --bogus").is_err());
        assert!(parse_words("serve --listen nowhere").is_err());
        assert!(parse_words("dance").is_err());
    }
}
