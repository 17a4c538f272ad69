//! The API's error replies, shared by the routes, the access guard and the connection limits.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A JSON error response.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message.into() }))).into_response()
}
