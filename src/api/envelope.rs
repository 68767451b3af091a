//! The protocol's JSON envelopes (§1.6): `{"code": 0, "data": …}` for success and
//! `{"code": <negative>, "msg": …}` for failures, with the HTTP status of the endpoint's surface
//! (§1.8). Every JSON answer of the API is built here.

use super::json::JsonObject;
use crate::error::{ApiError, Surface};
use crate::http::Reply;

/// `{"code": 0, "data": …}` with `data` already encoded as JSON.
pub fn data(json: String) -> Reply {
    Reply::json(200, JsonObject::with_capacity(json.len() + 24).int("code", 0).raw("data", &json).finish())
}

/// `{"code": 0, "data": {…}}` with the data object built in place by `fill`, in one buffer
/// of about `bytes`: a page of files.icc is not copied from one buffer into the next.
pub fn data_object(bytes: usize, fill: impl FnOnce(JsonObject) -> JsonObject) -> Reply {
    Reply::json(200, JsonObject::with_capacity(bytes + 24).int("code", 0).object("data", fill).finish())
}

/// `{"code": 0}`: success without data.
pub fn ok() -> Reply {
    Reply::json(200, JsonObject::new().int("code", 0).finish())
}

/// A failure, with the status its surface gives it.
pub fn error(error: ApiError, surface: Surface) -> Reply {
    let body = JsonObject::new().int("code", error.code()).string("msg", error.message()).finish();
    Reply::json(error.status(surface), body)
}

/// An unexpected internal failure (a caught panic): 500 with the -102 envelope.
pub fn internal_error() -> Reply {
    error(ApiError::Internal, Surface::Json)
}
