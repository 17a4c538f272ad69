//! Events that join several points, derived from the per-point records of a
//! [`super::Timeline`] (`tracks.rs`):
//! transfers (timed by the switch's own register when it changed with the position),
//! cranks only the start counter saw, generator ready (voltage and frequency in band after a
//! crank) and load picked up. Recomputed from scratch whenever a record changes, so they do
//! not depend on the order in which the points' readings interleave.

use driftvakt_config::model::ExerciseSettings;

use super::model::{Event, EventKind, Timing};
use super::tracks::{GeneratorTrack, RegisterChange, SwitchTrack};

/// A device register holds Unix seconds: its time is known to a second.
const DEVICE_RESOLUTION_MS: i64 = 1_000;
/// Allowed disagreement between the device's clock and ours, ms.
const CLOCK_SLACK_MS: i64 = 2_000;
/// A register change belongs to a position change this many polls away (either order).
const PAIR_POLLS: i64 = 3;

fn pair_window(a: i64, b: i64) -> i64 {
    PAIR_POLLS * a.max(b).max(DEVICE_RESOLUTION_MS)
}

fn event(kind: EventKind, at_ms: i64, unit: &str, point: &str, resolution_ms: i64, timing: Timing) -> Event {
    Event { kind, at_ms, unit: Some(unit.to_string()), point: point.to_string(), resolution_ms, timing }
}

/// Transfers and retransfers of every switch.
pub(super) fn transfers(settings: &ExerciseSettings, switches: &[SwitchTrack], out: &mut Vec<Event>) {
    for (sw, st) in settings.switches.iter().zip(switches) {
        let kind_of = |to_emergency: bool| if to_emergency { EventKind::TransferToEmergency } else { EventKind::Retransfer };
        let mut used = vec![false; st.registers.len()];
        let mut used_counts = vec![false; st.counts.len()];
        for pc in &st.positions {
            let register = sw.last_transfer_time.as_deref().and_then(|point| {
                let (j, r) = st
                    .registers
                    .iter()
                    .enumerate()
                    .filter(|(j, r)| !used[*j] && (r.at - pc.at).abs() <= pair_window(pc.res, r.res))
                    .filter(|(_, r)| {
                        let device = (r.value * 1000.0) as i64;
                        device >= pc.at - pc.res - DEVICE_RESOLUTION_MS - CLOCK_SLACK_MS
                            && device <= pc.at.max(r.at) + CLOCK_SLACK_MS
                    })
                    .min_by_key(|(_, r)| (r.at - pc.at).abs())?;
                used[j] = true;
                Some(((r.value * 1000.0) as i64, point))
            });
            // A counter step of this change is accounted for.
            if let Some(j) = (0..st.counts.len())
                .find(|&j| !used_counts[j] && (st.counts[j].at - pc.at).abs() <= pair_window(pc.res, st.counts[j].res))
            {
                used_counts[j] = true;
            }
            out.push(match register {
                Some((at, point)) => event(kind_of(pc.to_emergency), at, &sw.id, point, DEVICE_RESOLUTION_MS, Timing::Device),
                None => event(kind_of(pc.to_emergency), pc.at, &sw.id, &sw.position, pc.res, Timing::Polled),
            });
        }
        // There and back between two polls: the position did not change, but the counter
        // rose by two (and the register, if any, changed).
        for (j, c) in st.counts.iter().enumerate() {
            if used_counts[j] || c.delta < 2.0 {
                continue;
            }
            let was_emergency = st
                .positions
                .iter()
                .rev()
                .find(|p| p.at <= c.prev_at)
                .map_or(st.initially_emergency, |p| p.to_emergency);
            let register = sw.last_transfer_time.as_deref().and_then(|point| {
                let (k, r) = st
                    .registers
                    .iter()
                    .enumerate()
                    .filter(|(k, r)| !used[*k] && (r.at - c.at).abs() <= pair_window(c.res, r.res))
                    .min_by_key(|(_, r)| (r.at - c.at).abs())?;
                used[k] = true;
                Some((r, point))
            });
            let count_point = sw.transfer_count.as_deref().unwrap_or(&sw.position);
            let (first, second) = (kind_of(!was_emergency), kind_of(was_emergency));
            match register {
                Some((r, point)) => {
                    let device = (r.value * 1000.0) as i64;
                    let prev = c.prev_at.min(r.prev_at);
                    out.push(event(first, prev, &sw.id, count_point, (device - prev).max(0), Timing::Polled));
                    out.push(event(second, device, &sw.id, point, DEVICE_RESOLUTION_MS, Timing::Device));
                }
                None => {
                    out.push(event(first, c.prev_at, &sw.id, count_point, c.res, Timing::Polled));
                    out.push(event(second, c.at, &sw.id, count_point, c.res, Timing::Polled));
                }
            }
        }
    }
}

/// Cranks the controller's start counter counted but the engine state did not show.
pub(super) fn counter_cranks(settings: &ExerciseSettings, generators: &[GeneratorTrack], out: &mut Vec<Event>) {
    for (g, gt) in settings.generators.iter().zip(generators) {
        let Some(point) = g.starts.as_deref() else { continue };
        let cranks: Vec<i64> =
            out.iter().filter(|e| e.kind == EventKind::Crank && e.unit.as_deref() == Some(&g.id)).map(|e| e.at_ms).collect();
        let mut matched = vec![false; cranks.len()];
        let mut extra = Vec::new();
        for inc in &gt.start_increases {
            let RegisterChange { at, res, prev_at, delta, .. } = *inc;
            let tol = 2 * res.max(DEVICE_RESOLUTION_MS);
            let mut left = delta.round() as i64;
            for (k, c) in cranks.iter().enumerate() {
                if left > 0 && !matched[k] && *c >= prev_at - tol && *c <= at + tol {
                    matched[k] = true;
                    left -= 1;
                }
            }
            for _ in 0..left {
                extra.push(event(EventKind::Crank, at, &g.id, point, res, Timing::Device));
            }
        }
        out.extend(extra);
    }
}

/// Generator ready after each start, and the load it picked up.
pub(super) fn ready_and_load(settings: &ExerciseSettings, generators: &[GeneratorTrack], out: &mut Vec<Event>) {
    let transfers: Vec<i64> = out.iter().filter(|e| e.kind == EventKind::TransferToEmergency).map(|e| e.at_ms).collect();
    for (g, gt) in settings.generators.iter().zip(generators) {
        let mut cranks: Vec<(i64, String, i64)> = out
            .iter()
            .filter(|e| e.kind == EventKind::Crank && e.unit.as_deref() == Some(&g.id))
            .map(|e| (e.at_ms, e.point.clone(), e.resolution_ms))
            .collect();
        cranks.sort_by_key(|c| c.0);
        let mut readies = Vec::new();
        let mut last_ready = i64::MIN;
        for (crank_at, crank_point, crank_res) in &cranks {
            let crank_at = *crank_at;
            if crank_at <= last_ready {
                continue;
            }
            // Sweep both segment lists from the crank on: the first overlap is the ready.
            let (v, f) = (&gt.voltage.segments, &gt.frequency.segments);
            let mut i = v.partition_point(|x| x.end_or_max() <= crank_at);
            let mut j = f.partition_point(|x| x.end_or_max() <= crank_at);
            let mut best: Option<(i64, &str, i64)> = None;
            while let (Some(sv), Some(sf)) = (v.get(i), f.get(j)) {
                let start = sv.start.max(sf.start).max(crank_at);
                if start < sv.end_or_max().min(sf.end_or_max()) {
                    let (point, res) = if start == crank_at && sv.start < start && sf.start < start {
                        (crank_point.as_str(), *crank_res)
                    } else if sv.start >= sf.start {
                        (g.voltage_v.as_str(), sv.res.max(sf.res))
                    } else {
                        (g.frequency_hz.as_str(), sv.res.max(sf.res))
                    };
                    best = Some((start, point, res));
                    break;
                }
                if sv.end_or_max() <= sf.end_or_max() {
                    i += 1;
                } else {
                    j += 1;
                }
            }
            if let Some((at, point, res)) = best {
                readies.push(event(EventKind::GeneratorReady, at, &g.id, point, res, Timing::Polled));
                last_ready = at;
            }
        }
        // Load picked up: the first time above the threshold after each ready (else after a
        // transfer, else after a crank).
        let mut anchors: Vec<i64> = if !readies.is_empty() {
            readies.iter().map(|e| e.at_ms).collect()
        } else if !transfers.is_empty() {
            transfers.clone()
        } else {
            cranks.iter().map(|c| c.0).collect()
        };
        anchors.sort_unstable();
        anchors.dedup();
        let mut used = vec![false; gt.carrying.segments.len()];
        for (k, &a) in anchors.iter().enumerate() {
            let next = anchors.get(k + 1).copied().unwrap_or(i64::MAX);
            let found = gt
                .carrying
                .segments
                .iter()
                .enumerate()
                .find(|(j, s)| !used[*j] && s.end_or_max() > a && s.start.max(a) < next);
            if let Some((j, s)) = found {
                used[j] = true;
                out.push(event(EventKind::LoadPickedUp, s.start.max(a), &g.id, &g.power_kw, s.res, Timing::Polled));
            }
        }
        out.extend(readies);
    }
}
