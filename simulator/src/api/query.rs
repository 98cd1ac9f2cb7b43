//! Query strings of the VECOZO APIs, read by hand instead of through axum's `Query`
//! extractor, so that every malformed query gets the specs' `400` with a
//! [`crate::wire::ValidationProblemDetails`] body naming the parameter (axum's own rejection is
//! `text/plain`, in serde's words).
//!
//! Decoding never fails: invalid percent-escapes stay as they are and invalid UTF-8 becomes
//! U+FFFD, so a bad value is refused by the check of the parameter it was meant for. Unknown
//! parameters are ignored, as VECOZO's ASP.NET services do.

use axum::http::Uri;

use super::Problem;

/// The decoded `name=value` pairs of a request's query string, in order.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// The pairs of `uri`'s query string (none without one).
    pub fn of(uri: &Uri) -> QueryParams {
        let pairs = uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        QueryParams { pairs }
    }

    /// The value of parameter `name` (case-insensitive, as ASP.NET binds it), `None` when
    /// absent; a `400` naming it when it occurs more than once.
    pub fn single(&self, instance: &str, name: &str) -> Result<Option<&str>, Problem> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(Problem::bad_field(
                instance,
                name,
                format!("The parameter {name} may occur only once."),
            ));
        }
        Ok(first)
    }
}

/// A value as it may be quoted in an error text: at most 40 characters.
pub fn quoted(value: &str) -> String {
    value.chars().take(40).collect()
}
