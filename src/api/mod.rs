//! The iSync API of protocol §4: the endpoint table (`router`), what a handler works with
//! (`context`), the envelopes (`envelope`) and JSON objects (`json`, `views`) it answers with,
//! and the handlers, one module per area. Handlers parse parameters, request `db`, `fs`, `media`
//! or `thumb_cache`, and return a `Reply`; the rules that touch disk and catalog together live
//! in `fs`. `Api` is the `http::Service` the server runs.

pub mod context;
pub mod envelope;
pub mod json;
pub(crate) mod resolve;
mod router;
pub(crate) mod views;

pub(crate) mod account;
mod catalogs;
mod downloads;
mod files;
mod thumbnails;
mod uploads;

use crate::http::{Reply, Request, Service};
use crate::state::App;
use context::Ctx;
use rusqlite::Connection;

/// The API as the server runs it: each worker owns a database connection.
pub struct Api {
    app: App,
}

impl Api {
    pub fn new(app: App) -> Api {
        Api { app }
    }
}

impl Service for Api {
    type Worker = Connection;

    fn start_worker(&self) -> Option<Connection> {
        crate::db::open(&self.app.config.database)
            .map_err(|e| log::error!("a worker cannot open the database: {e}"))
            .ok()
    }

    fn handle(&self, db: &mut Connection, request: &mut Request) -> Reply {
        router::route(&mut Ctx { app: &self.app, db }, request)
    }

    fn panicked(&self) -> Reply {
        envelope::internal_error()
    }

    fn streams_body(&self, path: &str) -> bool {
        router::streams_body(path)
    }
}
