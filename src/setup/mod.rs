//! Setting iSync up: `isync install`/`uninstall` for a systemd system (`install`), the working
//! default `serve --init` makes in an empty app directory (`first_run`), and the starter scan
//! configuration both write (`starter`).

pub mod first_run;
pub mod install;
mod starter;
