//! Operator commands against the running daemon's API: `alarms`, `ack`, `shelve`, `unshelve`,
//! `journal`. `alarms` and `journal` also read a store directly (`--data DIR`, read-only), so
//! last night's outage can be reviewed after the daemon has stopped; both ways print the same.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use driftvakt_config::model::DEFAULT_API_LISTEN;
use driftvakt_config::model::Language;
use driftvakt_domain::alarm::model::{AlarmRecord, operator_list};
use driftvakt_domain::clock::{Clock, SystemClock};
use driftvakt_domain::fmt::local_datetime;
use driftvakt_domain::text::alarm::Alarms;
use driftvakt_domain::text::fill;
use driftvakt_domain::text::journal::{Journal, event};
use jiff::tz::TimeZone;

use driftvakt_runtime::alarm::store::{DEFAULT_JOURNAL_LIMIT, JournalEntry};
use driftvakt_runtime::out::{outln, out};
use driftvakt_runtime::timefmt::{parse_duration, parse_time};

use crate::api::client::{ApiClient, ApiResponse};
use crate::cli::{AckArgs, AlarmsArgs, ApiArgs, JournalArgs, ShelveArgs, UnshelveArgs};

/// Time zone of the operator's screens.
pub(crate) fn tz(api: &ApiArgs) -> TimeZone {
    let name = api
        .config
        .as_ref()
        .and_then(|p| driftvakt_config::load(p).config)
        .map_or_else(|| "Europe/Stockholm".to_string(), |c| c.site.timezone);
    TimeZone::get(&name).unwrap_or(TimeZone::UTC)
}

/// The client for `api`: address and token from the flags, the environment, or the config.
pub(crate) fn client(api: &ApiArgs) -> Result<ApiClient> {
    let config = match &api.config {
        Some(p) => {
            let loaded = driftvakt_config::load(p);
            Some(loaded.config.ok_or_else(|| anyhow!("{} is not a valid configuration (see `driftvakt check {}`)", p.display(), p.display()))?)
        }
        None => None,
    };
    let base = api
        .api
        .clone()
        .or_else(|| std::env::var("DRIFTVAKT_API").ok().filter(|s| !s.trim().is_empty()))
        .or_else(|| config.as_ref().map(|c| c.api.listen.to_string()))
        .unwrap_or_else(|| DEFAULT_API_LISTEN.to_string());
    let token = match &api.token_file {
        Some(f) => Some(std::fs::read_to_string(f).with_context(|| format!("reading token file {}", f.display()))?.trim().to_string()),
        None => std::env::var("DRIFTVAKT_API_TOKEN")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| config.as_ref().and_then(|c| c.api.token.as_ref()).and_then(|s| s.resolve().ok())),
    };
    ApiClient::new(&base, token.map(|t| t.trim().to_string()))
}

pub(crate) fn check(r: ApiResponse) -> Result<serde_json::Value> {
    if (200..300).contains(&r.status) {
        return Ok(r.body);
    }
    let msg = r.body.get("error").and_then(|e| e.as_str()).map_or_else(|| format!("HTTP {}", r.status), str::to_string);
    bail!("{msg}")
}

/// The operators' language of the alarm commands (Swedish; the texts have English beside them).
const LANG: Language = Language::Sv;

fn status(r: &AlarmRecord, tz: &TimeZone) -> String {
    r.status_in(LANG, tz)
}

pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count()))).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The alarm tables of the store in `dir`, opened read-only.
fn alarm_store(dir: &Path) -> Result<rusqlite::Connection> {
    let conn = driftvakt_store::shared::connect_read_only(dir).with_context(|| format!("reading the store in {}", dir.display()))?;
    if !driftvakt_runtime::alarm::store::has_alarm_tables(&conn).with_context(|| format!("reading the store in {}", dir.display()))? {
        bail!("{} has no alarm tables: the alarm service never ran on this store", dir.display());
    }
    Ok(conn)
}

/// Print `value` as the API's JSON answer is printed (through `serde_json::Value`, so the keys
/// come out alike whichever way the data came).
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(&serde_json::to_value(value)?)?)?;
    Ok(())
}

/// `driftvakt alarms`.
pub fn list(args: &AlarmsArgs) -> Result<()> {
    let list: Vec<AlarmRecord> = match &args.data {
        Some(dir) => {
            let records = driftvakt_runtime::alarm::store::records(&alarm_store(dir)?)?;
            if let Some(last) = records.iter().map(|r| r.changed_ms).max() {
                let at = [("dir", dir.display().to_string()), ("time", local_datetime(last, &tz(&args.api)))];
                eprintln!("{}", fill(Alarms::of(LANG).from_store, &at));
            }
            operator_list(records.iter(), SystemClock.now_ms())
        }
        None => {
            let body = check(client(&args.api)?.request("GET", "/api/alarms", None)?)?;
            serde_json::from_value(body).context("unexpected answer from the API")?
        }
    };
    if args.json {
        return print_json(&list);
    }
    if list.is_empty() {
        outln!("{}", Alarms::of(LANG).none)?;
        return Ok(());
    }
    let tz = tz(&args.api);
    let mut rows = vec![Alarms::of(LANG).columns.map(String::from).to_vec()];
    for r in &list {
        rows.push(vec![
            r.class.key().to_string(),
            r.system_label(LANG).to_string(),
            r.text_in(LANG).to_string(),
            r.value.clone().unwrap_or_else(|| "–".into()),
            r.active_since_ms.map_or_else(String::new, |t| local_datetime(t, &tz)),
            status(r, &tz),
            r.id.clone(),
        ]);
    }
    out!("{}", table(&rows))?;
    Ok(())
}

/// `driftvakt ack`.
pub fn ack(args: &AckArgs) -> Result<()> {
    let c = client(&args.api)?;
    let body = serde_json::json!({ "by": args.by, "comment": args.comment });
    let rec: AlarmRecord = serde_json::from_value(check(c.request("POST", &format!("/api/alarms/{}/ack", args.id), Some(&body))?)?)?;
    outln!("{}", fill(Alarms::of(LANG).acked, &[("id", rec.id.as_str()), ("text", rec.text_in(LANG)), ("state", rec.state.label(LANG))]))?;
    Ok(())
}

fn user(by: &Option<String>) -> String {
    by.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| Alarms::of(LANG).unknown_operator.into())
}

/// `driftvakt shelve`.
pub fn shelve(args: &ShelveArgs) -> Result<()> {
    let d = parse_duration(&args.duration).context("--for")?;
    let c = client(&args.api)?;
    let body = serde_json::json!({ "by": user(&args.by), "for_s": d.as_secs().max(1), "reason": args.reason });
    let rec: AlarmRecord = serde_json::from_value(check(c.request("POST", &format!("/api/alarms/{}/shelve", args.id), Some(&body))?)?)?;
    let until = rec.shelved.as_ref().map(|s| local_datetime(s.until_ms, &tz(&args.api))).unwrap_or_default();
    outln!("{}", fill(Alarms::of(LANG).shelved, &[("until", until.as_str()), ("id", &rec.id), ("text", rec.text_in(LANG))]))?;
    Ok(())
}

/// `driftvakt unshelve`.
pub fn unshelve(args: &UnshelveArgs) -> Result<()> {
    let c = client(&args.api)?;
    let body = serde_json::json!({ "by": user(&args.by) });
    let rec: AlarmRecord = serde_json::from_value(check(c.request("POST", &format!("/api/alarms/{}/unshelve", args.id), Some(&body))?)?)?;
    outln!("{}", fill(Alarms::of(LANG).unshelved, &[("id", rec.id.as_str()), ("text", rec.text_in(LANG)), ("state", rec.state.label(LANG))]))?;
    Ok(())
}

/// `driftvakt journal`.
pub fn journal(args: &JournalArgs) -> Result<()> {
    let tz = tz(&args.api);
    let from = parse_time(args.from.as_deref().unwrap_or("-24h"), &tz).context("--from")?;
    let to = match &args.to {
        Some(t) => parse_time(t, &tz).context("--to")?,
        None => i64::MAX,
    };
    let entries: Vec<JournalEntry> = match &args.data {
        Some(dir) => driftvakt_runtime::alarm::store::journal(&alarm_store(dir)?, from, to, args.alarm.as_deref(), DEFAULT_JOURNAL_LIMIT)
            .with_context(|| format!("reading the alarm journal in {}", dir.display()))?,
        None => {
            let mut path = format!("/api/journal?from_ms={from}&to_ms={to}");
            if let Some(a) = &args.alarm {
                path.push_str(&format!("&alarm={}", a.replace(|ch: char| !ch.is_ascii_alphanumeric() && ch != '.' && ch != '_' && ch != '-', "")));
            }
            let body = check(client(&args.api)?.request("GET", &path, None)?)?;
            serde_json::from_value(body).context("unexpected answer from the API")?
        }
    };
    if args.json {
        return print_json(&entries);
    }
    let t = Journal::of(LANG);
    for e in entries {
        // Columns two spaces apart: time, event (padded), then what the entry has.
        let mut line = format!("{}  {:<12}", local_datetime(e.time_ms, &tz), event(&e.event, LANG));
        let columns = [
            e.incident.map(|i| fill(t.incident, &[("incident", i)])),
            e.alarm.clone(),
            e.detail.clone(),
            e.by.as_ref().map(|b| fill(t.by, &[("by", b)])),
            e.comment.as_ref().map(|c| fill(t.comment, &[("comment", c)])),
        ];
        for c in columns.into_iter().flatten() {
            line.push_str("  ");
            line.push_str(&c);
        }
        outln!("{line}")?;
    }
    Ok(())
}
