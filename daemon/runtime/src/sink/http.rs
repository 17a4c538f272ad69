//! The two write APIs: InfluxDB 2.x `/api/v2/write` through the `influxdb2` crate, and
//! InfluxDB 1.x `/write` through the same reqwest (one HTTP stack, rustls). Both send the
//! line protocol of [`super::line`] with millisecond timestamps.

use std::collections::HashMap;
use std::time::Duration;

use driftvakt_config::model::{InfluxApi, InfluxSink, Secret};
use influxdb2::api::write::TimestampPrecision;

use crate::sink::line::{SeriesTags, series_prefix, write_line};
use crate::sink::transport::{Row, Transport, WriteError, describe};

/// A write API client; built lazily so that a missing secret or a bad URL is an error to retry
/// (and to show in the sink's health), not a reason to stop the daemon.
pub struct Writer {
    sink: InfluxSink,
    client: Option<Client>,
    site: String,
    instance: Option<String>,
    /// Point key → series prefix (tags), computed once per point.
    prefixes: HashMap<i64, String>,
}

enum Client {
    V2 { client: influxdb2::Client, org: String, bucket: String },
    V1 { http: reqwest::Client, url: String, query: Vec<(&'static str, String)>, auth: Option<(String, String)> },
}

impl Writer {
    /// A writer for `sink` tagging every series with `site` (and `instance`); nothing is
    /// connected yet.
    pub fn new(sink: &InfluxSink, site: &str, instance: Option<&str>) -> Writer {
        Writer {
            sink: sink.clone(),
            client: None,
            site: site.to_string(),
            instance: instance.map(str::to_string),
            prefixes: HashMap::new(),
        }
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

impl Transport for Writer {
    type Payload = String;

    fn kind(&self) -> &'static str {
        Writer::kind(&self.sink)
    }

    fn target(&self) -> String {
        self.sink.url.clone()
    }

    /// Line protocol, one line per reading; every row fits.
    fn encode(&mut self, rows: &[Row], _more: bool) -> (String, usize) {
        let mut body = String::with_capacity(rows.len() * 120);
        for r in rows {
            let prefix = self.prefixes.entry(r.point.key).or_insert_with(|| {
                series_prefix(&SeriesTags {
                    site: &self.site,
                    instance: self.instance.as_deref(),
                    system: &r.point.system,
                    device: &r.point.device,
                    point: &r.point.point,
                    unit: &r.point.unit,
                })
            });
            write_line(&mut body, prefix, r.value.as_ref(), r.quality, r.time_ms);
        }
        (body, rows.len())
    }

    async fn send(&mut self, payload: &mut String) -> Result<(), WriteError> {
        self.write(payload.clone()).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::transport::PointInfo;
    use driftvakt_domain::{Quality, Value};
    use driftvakt_store::Position;
    use std::sync::Arc;

    #[test]
    fn rows_become_line_protocol_with_the_series_tags() {
        let sink = InfluxSink {
            id: "t".into(),
            url: "http://127.0.0.1:1".into(),
            api: InfluxApi::V1 { database: "d".into(), retention_policy: None, username: None, password: None },
            batch_size: 10,
            flush_interval: Duration::from_millis(10),
            timeout: Duration::from_secs(1),
            retry_max: Duration::from_secs(1),
            max_backlog_readings: None,
            backfill: true,
        };
        let mut w = Writer::new(&sink, "ref", Some("a"));
        let p = Arc::new(PointInfo { key: 1, device: "g1".into(), point: "power".into(), unit: "kW".into(), system: "reservkraft".into() });
        let rows = [
            Row { position: Position::nth(1), point: p.clone(), time_ms: 5, value: Some(Value::Number(1.5)), quality: Quality::Good },
            Row { position: Position::nth(2), point: p, time_ms: 6, value: None, quality: Quality::CommFail },
        ];
        let (body, used) = w.encode(&rows, true);
        assert_eq!(used, 2);
        assert_eq!(
            body,
            "driftvakt,device=g1,instance=a,point=power,site=ref,system=reservkraft,unit=kW value=1.5,quality=0i 5\n\
             driftvakt,device=g1,instance=a,point=power,site=ref,system=reservkraft,unit=kW quality=2i 6\n"
        );
        assert_eq!(Transport::kind(&w), "influxdb_v1");
    }
}
