//! Reviewing last night's outage after the daemon has stopped: mains fail, an operator
//! acknowledges and shelves, the daemon is stopped; `driftvakt journal --data DIR` and
//! `driftvakt alarms --data DIR` read the store directly and print what the API printed,
//! without changing a byte of the stopped daemon's data directory.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use support::alarm::{cli, cli_ok};
use support::site::{Site, SiteSpec};
use support::wait_until;

const MAINS: &str = "ats.mains_available.state";
const UPS: &str = "ups.on_battery.state";

/// Every file under `dir` (sub-folders too) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("data dir") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().expect("type").is_dir() {
            for (sub, bytes) in snapshot(&e.path()) {
                out.insert(format!("{name}/{sub}"), bytes);
            }
        } else {
            out.insert(name, std::fs::read(e.path()).expect("read"));
        }
    }
    out
}

fn json(text: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not a JSON array ({e}): {text}"))
}

/// The cells of a table line (columns are padded to the widest cell of the whole table, which
/// depends on every alarm listed, so lines are compared cell by cell).
fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

fn line_of(table: &str, id: &str) -> Vec<String> {
    table
        .lines()
        .find(|l| l.trim_end().ends_with(id))
        .map(cells)
        .unwrap_or_else(|| panic!("no line for {id} in\n{table}"))
}

#[test]
fn journal_and_alarms_read_a_stopped_daemons_store_and_print_what_the_api_printed() {
    let site = Site::start(SiteSpec::default());
    let (sim, api, token, data, data_arg) = (&site.sim, site.api.clone(), site.token_arg(), site.data.clone(), site.data_arg());
    let daemon = site.daemon();
    wait_until("first readings evaluated", Duration::from_secs(10), || {
        cli_ok(&["alarms", "--api", &api]).contains("Inga aktiva larm")
    });

    sim.mains_lost();
    wait_until(
        "mains and UPS alarms active",
        Duration::from_secs(15),
        || {
            let list = cli_ok(&["alarms", "--api", &api]);
            list.contains(MAINS) && list.contains(UPS)
        },
    );
    cli_ok(&[
        "ack",
        MAINS,
        "--by",
        "Eva Driftjour",
        "--comment",
        "aggregaten går",
        "--api",
        &api,
        "--token-file",
        &token,
    ]);
    cli_ok(&[
        "shelve",
        UPS,
        "--for",
        "2h",
        "--reason",
        "batteribyte",
        "--by",
        "Eva Driftjour",
        "--api",
        &api,
        "--token-file",
        &token,
    ]);
    // While the daemon runs, the store can be read beside it.
    let running = json(&cli_ok(&[
        "journal", "--data", &data_arg, "--from", "-1h", "--json",
    ]));
    assert!(
        running.iter().any(|e| e["event"] == "shelved"),
        "{running:?}"
    );

    // What the coordinator saw through the API before the daemon stopped.
    let api_journal = json(&cli_ok(&[
        "journal", "--api", &api, "--from", "-1h", "--json",
    ]));
    let api_journal_text = cli_ok(&["journal", "--api", &api, "--from", "-1h"]);
    let api_alarms = cli_ok(&["alarms", "--api", &api]);
    let api_alarms_json = json(&cli_ok(&["alarms", "--api", &api, "--json"]));
    daemon.stop_cleanly();
    assert!(
        cli(&["alarms", "--api", &api]).status.code() != Some(0),
        "the API is gone"
    );

    let before = snapshot(&data);
    let journal = json(&cli_ok(&[
        "journal", "--data", &data_arg, "--from", "-1h", "--json",
    ]));
    let journal_text = cli_ok(&["journal", "--data", &data_arg, "--from", "-1h"]);
    let alarms = cli_ok(&[
        "alarms",
        "--data",
        &data_arg,
        "--config",
        &site.config.to_string_lossy(),
    ]);
    let alarms_json = json(&cli_ok(&["alarms", "--data", &data_arg, "--json"]));
    assert_eq!(
        snapshot(&data),
        before,
        "reading a stopped daemon's store must not change its data directory"
    );

    // The journal: what the API showed, then whatever the daemon did until it stopped.
    assert!(
        journal.len() >= api_journal.len() && journal[..api_journal.len()] == api_journal[..],
        "journal --data {journal:?}\nthrough the API {api_journal:?}"
    );
    assert!(
        journal_text.starts_with(&api_journal_text),
        "{journal_text}\n---\n{api_journal_text}"
    );
    let has = |event: &str, alarm: &str| {
        journal
            .iter()
            .any(|e| e["event"] == event && e["alarm"] == alarm)
    };
    assert!(has("activated", MAINS) && has("acked", MAINS) && has("shelved", UPS));
    assert!(
        journal_text.contains("kvitterat")
            && journal_text.contains("av Eva Driftjour")
            && journal_text.contains("«aggregaten går»")
            && journal_text.contains("bortkopplat"),
        "{journal_text}"
    );

    // The alarm list: the same header and the same lines for the alarms handled by hand.
    assert_eq!(
        alarms.lines().next().map(cells),
        api_alarms.lines().next().map(cells)
    );
    for id in [MAINS, UPS] {
        assert_eq!(line_of(&alarms, id), line_of(&api_alarms, id));
        let by_id = |list: &[serde_json::Value]| {
            list.iter()
                .find(|a| a["id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("{id} missing in {list:?}"))
        };
        assert_eq!(by_id(&alarms_json), by_id(&api_alarms_json));
    }
    assert!(
        line_of(&alarms, MAINS).join(" ").contains("Eva Driftjour"),
        "{alarms}"
    );
    assert!(
        line_of(&alarms, UPS).join(" ").contains("batteribyte"),
        "{alarms}"
    );

    // A directory without a store: a clear error, no panic.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = cli(&["journal", "--data", &empty.path().to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no store at"), "{err}");
}
