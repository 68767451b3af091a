//! `isync`: the command line, the settings, logging, then the server, the scanner or the
//! configuration tool. Start-up failures print one line and exit non-zero.

mod cli;

use cli::Command;
use isync::config::{self, Config};
use isync::scan::{self, ScanStep};
use isync::setup::{first_run, install};
use isync::{allocator, api, db, http, logging, state};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os().skip(1).collect()) {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("isync: {message}");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("isync: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: cli::Cli) -> Result<(), String> {
    match &cli.command {
        Command::Help => {
            print!("{}", cli::HELP);
            return Ok(());
        }
        Command::Version => {
            println!("isync {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        Command::Install(options) => return install::install(options),
        Command::Uninstall { root } => return install::uninstall(root),
        _ => {}
    }
    let app_dir = app_dir(cli.app_dir)?;
    let mut config = Config::load(&app_dir);
    match cli.command {
        Command::Serve { listen, workers, scan_first, first_run, ffmpeg } => {
            logging::init(Some(&config.log_file));
            report_ignored_settings(&config);
            if let Some(ffmpeg) = ffmpeg {
                config.ffmpeg = ffmpeg;
            }
            let mut conn = open_database(&config)?;
            isync::finish_interrupted_delete(&conn, &config);
            let created = first_run && first_run::prepare(&mut conn, &config)?;
            if (scan_first || created) && config.app_dir.join(config::SCAN_CONFIG_FILE).exists() {
                scan::run(&mut conn, &config, &[ScanStep::DefaultConfig], false)?;
            }
            scan::check_own_files(&mut conn, &config)?;
            drop(conn);
            std::fs::create_dir_all(&config.thumb_path)
                .map_err(|e| format!("cannot create {}: {e}", config.thumb_path.display()))?;
            log::info!("{config}");
            let app = state::App::new(config);
            let prebuilder = scan::prebuild::start(&app.config, app.thumbnails.clone())?;
            scan::sweeper::start(&app.config, prebuilder)?;
            announce_gallery(listen);
            http::server::run(api::Api::new(app), listen, workers)
        }
        Command::Scan(steps) => {
            logging::init(None);
            report_ignored_settings(&config);
            let mut conn = open_database(&config)?;
            isync::finish_interrupted_delete(&conn, &config);
            scan::run(&mut conn, &config, &steps, true)?;
            scan::check_own_files(&mut conn, &config)
        }
        Command::Config(settings) => config::tool::apply(&app_dir, &settings)
            .map_err(|e| format!("cannot write {}: {e}", app_dir.join(config::CONFIG_FILE).display())),
        Command::Help | Command::Version | Command::Install(_) | Command::Uninstall { .. } => Ok(()),
    }
}

/// Every setting `Config::load` ignored, on stderr and in the log (logging starts after the
/// settings are read, since they name the log file).
fn report_ignored_settings(config: &Config) {
    for warning in &config.warnings {
        log::warn!("{warning}");
    }
}

/// The app directory: --app-dir (created if missing) or the directory of the executable.
fn app_dir(chosen: Option<PathBuf>) -> Result<PathBuf, String> {
    let dir = match chosen {
        Some(dir) => dir,
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .ok_or("cannot find the directory of the executable; pass --app-dir")?,
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create app dir {}: {e}", dir.display()))?;
    std::fs::canonicalize(&dir).map_err(|e| format!("cannot use app dir {}: {e}", dir.display()))
}

fn open_database(config: &Config) -> Result<rusqlite::Connection, String> {
    db::open_and_prepare(&config.database).map_err(|e| format!("cannot open {}: {e}", config.database.display()))
}

/// Tells whoever started the server where its web gallery opens (on stderr: stdout's first
/// line is the `listening on` address programs wait for). A port chosen by the system (0) is
/// only known from that line.
fn announce_gallery(listen: std::net::SocketAddr) {
    let port = listen.port();
    if port == 0 {
        return;
    }
    if listen.ip().is_unspecified() {
        eprintln!("isync: open the web gallery at http://localhost:{port}/ (from a phone: http://<this machine's address>:{port}/)");
    } else {
        eprintln!("isync: open the web gallery at http://{listen}/");
    }
}
