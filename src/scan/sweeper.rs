//! The server's sweeps: a thread with a database connection of its own looks at every root at
//! start-up and then every `sweepInterval` seconds (`scan::sweep`), so files copied onto the
//! disk, changed or removed there show without a restart. A look that left something pending
//! (a file or folder missed once, a file still being written) is followed by another one
//! SETTLE later, which settles it: removals take two looks, and a copy in progress is taken once
//! it has stopped changing.

use crate::config::Config;
use crate::db;
use std::time::Duration;

/// How long a file must be left unchanged before a sweep takes it, and how soon a look that left
/// something pending is followed by another.
pub const SETTLE: Duration = Duration::from_secs(3);

/// Starts the sweeping thread, unless `sweepInterval` is 0.
pub fn start(config: &Config) -> Result<(), String> {
    if config.sweep_interval == 0 {
        log::info!("sweeps are off (sweepInterval 0): the library changes only with `isync scan`");
        return Ok(());
    }
    let interval = Duration::from_secs(config.sweep_interval.unsigned_abs());
    let config = config.clone();
    std::thread::Builder::new()
        .name("sweeper".into())
        .stack_size(256 * 1024)
        .spawn(move || run(&config, interval))
        .map(|_| ())
        .map_err(|e| format!("cannot start the sweeper: {e}"))
}

/// Looks, then waits, for ever. Each look opens a connection of its own and closes it, so that
/// an idle server holds no sweeper cache between looks.
fn run(config: &Config, interval: Duration) {
    loop {
        let look = db::open(&config.database)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| super::sweep(&mut conn, config, SETTLE));
        let wait = match look {
            Ok(look) => {
                if look.changed_anything() || look.pending() || look.offline > 0 {
                    log::info!("sweep: {}", look.line());
                }
                if look.pending() {
                    SETTLE
                } else {
                    interval
                }
            }
            Err(e) => {
                log::error!("sweep failed: {e}");
                interval
            }
        };
        std::thread::sleep(wait);
    }
}
