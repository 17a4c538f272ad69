//! `driftvakt discover --bacnet [--target IP:PORT] [--objects]`: Who-Is (directed or broadcast),
//! I-Am, optionally each device's objects; prints a complete configuration file whose block
//! from `[[bacnet_networks]]` on can be pasted into an existing one (TOML on stdout, progress on
//! stderr). Only reads: Who-Is and ReadProperty(Multiple).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use driftvakt_config::model::BacnetNetwork;
use driftvakt_drivers::bacnet::discover::{config_file, describe};
use driftvakt_drivers::bacnet::{BacnetStats, Client};

use crate::cli::DiscoverArgs;
use driftvakt_runtime::out::out;

/// Parse `1000-1999` (or a single instance).
fn parse_range(s: &str) -> Result<(u32, u32)> {
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let lo: u32 = lo
        .trim()
        .parse()
        .map_err(|_| anyhow!("--range: `{s}` is not like 1000-1999"))?;
    let hi: u32 = hi
        .trim()
        .parse()
        .map_err(|_| anyhow!("--range: `{s}` is not like 1000-1999"))?;
    if lo > hi || hi > 4_194_303 {
        bail!("--range: {lo}-{hi} is not an instance range (0..=4194303, low first)");
    }
    Ok((lo, hi))
}

/// Run discovery; exit status 1 when no device answered.
pub async fn run(args: &DiscoverArgs) -> Result<i32> {
    let range = args.range.as_deref().map(parse_range).transpose()?;
    let net = BacnetNetwork {
        id: args.network_id.clone(),
        bind: args.bind,
        bbmd: None,
        max_apdu_bytes: 1476,
        timeout: Duration::from_millis(args.timeout_ms.max(1)),
        retries: 1,
    };
    let client = Client::bind(&net, Arc::new(BacnetStats::new(&net.id)))
        .await
        .context("opening the BACnet socket")?;
    let (dest, broadcast) = match args.target {
        Some(t) => (t, false),
        None => (args.broadcast, true),
    };
    eprintln!(
        "Who-Is {} {dest} ...",
        if broadcast {
            "broadcast to"
        } else {
            "directed to"
        }
    );
    let found = client
        .who_is(dest, broadcast, range, Duration::from_millis(args.wait_ms))
        .await
        .context("sending Who-Is")?;
    if found.is_empty() {
        eprintln!("no device answered");
        return Ok(1);
    }
    let mut infos = Vec::new();
    for d in &found {
        eprintln!(
            "I-Am: device {} at {}{}",
            d.i_am.device.instance,
            d.addr,
            d.route
                .as_ref()
                .map(|r| format!(" (network {})", r.net))
                .unwrap_or_default()
        );
        match describe(&client, d, args.objects).await {
            Ok(info) => {
                if args.objects {
                    eprintln!(
                        "  {} objects{}",
                        info.objects.len(),
                        if info.list_read_by_element {
                            " (object list read element by element)"
                        } else {
                            ""
                        }
                    );
                }
                infos.push(info);
            }
            Err(e) => eprintln!("  cannot read device {}: {e}", d.i_am.device.instance),
        }
    }
    out!(
        "{}",
        config_file(&args.network_id, &args.bind.to_string(), &infos)
    )?;
    Ok(0)
}
