//! The two write APIs: InfluxDB 2.x `/api/v2/write` through the `influxdb2` crate, and
//! InfluxDB 1.x `/write` through the same reqwest (one HTTP stack, rustls). Both send the
//! line protocol of [`super::line`] with millisecond timestamps.

use std::time::Duration;

use driftvakt_config::model::{InfluxApi, InfluxSink, Secret};
use influxdb2::api::write::TimestampPrecision;

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The server refused the data itself (HTTP 400): retrying cannot help.
    #[error("server rejected the batch (HTTP {status}): {text}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Response body.
        text: String,
    },
    /// Anything else (unreachable, timeout, authentication, 5xx): retried.
    #[error("{0}")]
    Failed(String),
}

/// A write API client; built lazily so that a missing secret or a bad URL is an error to retry
/// (and to show in the sink's health), not a reason to stop the daemon.
pub struct Writer {
    sink: InfluxSink,
    client: Option<Client>,
}

enum Client {
    V2 { client: influxdb2::Client, org: String, bucket: String },
    V1 { http: reqwest::Client, url: String, query: Vec<(&'static str, String)>, auth: Option<(String, String)> },
}

impl Writer {
    /// A writer for `sink` (nothing is connected yet).
    pub fn new(sink: &InfluxSink) -> Writer {
        Writer { sink: sink.clone(), client: None }
    }

    /// `influxdb_v2` or `influxdb_v1`.
    pub fn kind(sink: &InfluxSink) -> &'static str {
        match sink.api {
            InfluxApi::V2 { .. } => "influxdb_v2",
            InfluxApi::V1 { .. } => "influxdb_v1",
        }
    }

    /// Send one batch of line protocol.
    pub async fn write(&mut self, body: String) -> Result<(), WriteError> {
        if self.client.is_none() {
            self.client = Some(build(&self.sink)?);
        }
        let Some(client) = self.client.as_ref() else {
            return Err(WriteError::Failed("no client".into()));
        };
        let result = send(client, body).await;
        if let Err(WriteError::Failed(e)) = &result
            && (e.starts_with("HTTP 401") || e.starts_with("HTTP 403"))
        {
            // Read the token or password again before the next attempt (it may have been rotated).
            self.client = None;
        }
        result
    }
}

async fn send(client: &Client, body: String) -> Result<(), WriteError> {
    match client {
        Client::V2 { client, org, bucket } => client
            .write_line_protocol_with_precision(org, bucket, body, TimestampPrecision::Milliseconds)
            .await
            .map_err(|e| match e {
                influxdb2::RequestError::Http { status, text } => classify(status.as_u16(), text),
                influxdb2::RequestError::ReqwestProcessing { source } => WriteError::Failed(describe(&source)),
                other => WriteError::Failed(other.to_string()),
            }),
        Client::V1 { http, url, query, auth } => {
            let mut req = http.post(url.as_str()).query(query).body(body);
            if let Some((user, password)) = auth {
                req = req.basic_auth(user, Some(password));
            }
            let resp = req.send().await.map_err(|e| WriteError::Failed(describe(&e)))?;
            let status = resp.status().as_u16();
            if status == 204 || status == 200 {
                return Ok(());
            }
            let text = resp.text().await.unwrap_or_default();
            Err(classify(status, text))
        }
    }
}

/// 400 means the data is bad; everything else may heal (401/403: fix the credentials, 404: create
/// the database, 5xx: the server recovers), so it is retried and nothing is dropped.
fn classify(status: u16, text: String) -> WriteError {
    let text = text.trim().chars().take(500).collect::<String>();
    if status == 400 {
        WriteError::Rejected { status, text }
    } else {
        WriteError::Failed(format!("HTTP {status}: {text}"))
    }
}

/// An error with its causes (reqwest's top-level text alone hides "connection refused").
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        // hyper and reqwest repeat their causes in their own texts.
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

fn secret(s: &Option<Secret>, what: &str) -> Result<Option<String>, WriteError> {
    s.as_ref()
        .map(|s| s.resolve().map_err(|e| WriteError::Failed(format!("{what}: {e}"))))
        .transpose()
}

fn build(sink: &InfluxSink) -> Result<Client, WriteError> {
    // influxdb2 panics on a URL it cannot parse: check first.
    let url = reqwest::Url::parse(&sink.url).map_err(|e| WriteError::Failed(format!("url {}: {e}", sink.url)))?;
    let http = reqwest::Client::builder()
        .timeout(sink.timeout)
        .connect_timeout(sink.timeout.min(Duration::from_secs(5)))
        .pool_idle_timeout(Duration::from_secs(30));
    match &sink.api {
        InfluxApi::V2 { org, bucket, token } => {
            let token = secret(token, "token")?.unwrap_or_default();
            let client = influxdb2::ClientBuilder::with_builder(http, url.as_str(), org.as_str(), token)
                .build()
                .map_err(|e| WriteError::Failed(format!("building the HTTP client: {e}")))?;
            Ok(Client::V2 { client, org: org.clone(), bucket: bucket.clone() })
        }
        InfluxApi::V1 { database, retention_policy, username, password } => {
            let password = secret(password, "password")?;
            let http = http.build().map_err(|e| WriteError::Failed(format!("building the HTTP client: {e}")))?;
            let mut query = vec![("db", database.clone()), ("precision", "ms".to_string())];
            if let Some(rp) = retention_policy {
                query.push(("rp", rp.clone()));
            }
            let auth = username.as_ref().map(|u| (u.clone(), password.unwrap_or_default()));
            let url = format!("{}/write", url.as_str().trim_end_matches('/'));
            Ok(Client::V1 { http, url, query, auth })
        }
    }
}
