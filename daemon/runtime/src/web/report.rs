//! `GET /ovningar/{id}/rapport.{html,csv,json}`: a run's exercise report to download, made by
//! the exercise report code from the store (the same output as `driftvakt report exercise --id
//! <id> --format <f>` in the page's language), with a `Content-Disposition` file name.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use driftvakt_config::model::Language;
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::text::fill;
use driftvakt_domain::text::web_exercises::WebExercises;

use super::exercises::refuse;
use super::lang::PageLang;
use super::state::WebState;
use super::viewer::Viewer;
use crate::exercise::report::{self, Format, Which};

/// What the downloaded HTML report may do if a browser shows it: its own inline styles and
/// images, nothing else (no script, no request).
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/// The format of a report file name (`rapport.csv`) and its media type.
pub(super) fn format_of(file: &str) -> Option<(Format, &'static str, &'static str)> {
    match file {
        "rapport.html" => Some((Format::Html, "html", "text/html; charset=utf-8")),
        "rapport.csv" => Some((Format::Csv, "csv", "text/csv; charset=utf-8")),
        "rapport.json" => Some((Format::Json, "json", "application/json")),
        _ => None,
    }
}

/// The file name a report of run `id` is saved as.
pub(super) fn file_name(id: i64, ext: &str, lang: Language) -> String {
    match lang {
        Language::Sv => format!("ovning-{id}-rapport.{ext}"),
        Language::En => format!("exercise-{id}-report.{ext}"),
    }
}

/// `GET /ovningar/{id}/{file}`.
pub(super) async fn download(viewer: Viewer, lang: PageLang, State(s): State<WebState>, Path((id, file)): Path<(String, String)>) -> Response {
    let w = WebExercises::of(lang.lang);
    let (Some(x), Ok(id), Some((format, ext, media))) = (&s.exercise, id.parse::<i64>(), format_of(&file)) else {
        let words = if s.exercise.is_none() { w.not_configured.to_string() } else { fill(w.no_report, &[("id", id.as_str())]) };
        return refuse(&s, &lang, &viewer, StatusCode::NOT_FOUND, &words);
    };
    let (config, dir, l) = (s.config.clone(), x.data_dir.clone(), lang.lang);
    let now = SystemClock.now_ms();
    let made = tokio::task::spawn_blocking(move || report::gather(&config, &dir, Which::Id(id), l, now).and_then(|d| report::render(&d, format))).await;
    let text = match made {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => {
            tracing::info!(run = id, error = %format!("{e:#}"), "no exercise report for the web page");
            return refuse(&s, &lang, &viewer, StatusCode::NOT_FOUND, &fill(w.no_report, &[("id", id)]));
        }
        Err(e) => {
            tracing::warn!(run = id, error = %e, "the exercise report failed");
            return refuse(&s, &lang, &viewer, StatusCode::INTERNAL_SERVER_ERROR, &fill(w.no_report, &[("id", id)]));
        }
    };
    let mut r = text.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file_name(id, ext, lang.lang))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(REPORT_CSP));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_report_files_are_served_each_with_its_type_and_a_file_name() {
        assert_eq!(format_of("rapport.csv").map(|f| f.2), Some("text/csv; charset=utf-8"));
        assert_eq!(format_of("rapport.json").map(|f| f.1), Some("json"));
        assert!(format_of("rapport.html").is_some_and(|f| f.0 == Format::Html));
        for bad in ["rapport.pdf", "../rapport.csv", "report.csv", ""] {
            assert!(format_of(bad).is_none(), "{bad}");
        }
        assert_eq!(file_name(7, "csv", Language::Sv), "ovning-7-rapport.csv");
        assert_eq!(file_name(7, "json", Language::En), "exercise-7-report.json");
    }
}
