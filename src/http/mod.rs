//! HTTP on top of tiny_http: the listening socket and its connection options (`listener`), the
//! bounds on every connection that tiny_http does not keep (`warden`), the dispatcher and worker
//! threads with their panic boundary and access log (`server`), one request as handlers
//! see it with its bounded parameters and body (`request`, `params`, `percent`, `multipart`),
//! and what goes back (`reply`, `range`, `sendfile`, `body_block`); `busy` tells background work
//! whether requests are being answered. `sys` holds the libc socket
//! calls. Nothing here knows the API, the database or the media: the server calls a `Service`.

pub mod body_block;
pub mod busy;
pub mod listener;
pub mod multipart;
pub mod params;
pub mod percent;
pub mod range;
pub mod reply;
pub mod request;
mod sendfile;
pub mod server;
mod sys;
mod warden;

pub use reply::Reply;
pub use request::Request;
pub use server::Service;
