//! The web screen's trend chart: good data as lines, broken (never interpolated) where there is
//! none; each gap shaded and, where wide enough, named ("inga data", "dålig kvalitet"); the
//! point's alarm limits as dashed lines; local times under the x axis. The `<svg>` has a
//! viewBox and `width="100%"`, so it scales to the page (a 390 px phone included), a `<title>`
//! and an `aria-label` (the caller's text alternative) and `data-rendered-points` (how many
//! points were drawn); each gap's rectangle carries `data-gap` (its kind) and `data-from`/`data-to`
//! (UTC ms).

use super::escape::esc;

/// Width of the drawing in viewBox units.
const W: f64 = 560.0;
/// Height of the drawing.
const H: f64 = 210.0;
/// Left margin (y axis captions).
const L: f64 = 58.0;
/// Right margin (limit captions).
const R: f64 = 44.0;
/// Top margin.
const T: f64 = 10.0;
/// Bottom margin (x axis captions).
const B: f64 = 26.0;
/// Font size of the captions.
const FONT: f64 = 13.0;
/// A gap is named inside the chart only when at least this wide (else its `<title>` and the
/// page's text name it).
const LABEL_MIN_W: f64 = 84.0;

/// Why a stretch of the chart has no line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapKind {
    /// No reading at all (device offline, daemon stopped, before the first reading).
    NoData,
    /// Readings, but none good (bad quality, no value).
    BadQuality,
}

impl GapKind {
    /// Stable keyword (`data-gap`, CSS).
    pub fn key(self) -> &'static str {
        match self {
            GapKind::NoData => "no_data",
            GapKind::BadQuality => "bad_quality",
        }
    }
}

/// A stretch without good data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// Start, UTC ms.
    pub from_ms: i64,
    /// End, UTC ms.
    pub to_ms: i64,
    /// Why.
    pub kind: GapKind,
}

/// What one trend chart draws.
pub struct Trend<'a> {
    /// Runs of good data, (UTC ms, value) in time order; the line breaks between runs.
    pub runs: &'a [Vec<(i64, f64)>],
    /// The stretches without good data.
    pub gaps: &'a [Gap],
    /// The x axis: `[from_ms, to_ms]`.
    pub from_ms: i64,
    /// End of the x axis.
    pub to_ms: i64,
    /// Horizontal lines: (value, caption) — the point's alarm limits.
    pub limits: &'a [(f64, String)],
    /// Captions under the x axis: (UTC ms, local time).
    pub ticks: &'a [(i64, String)],
    /// The words of the gaps: no data, bad quality.
    pub gap_words: (&'a str, &'a str),
    /// The text alternative (`<title>`, `aria-label`).
    pub title: &'a str,
}

/// The chart as an `<svg>`, y captions formatted by `fmt`.
pub fn trend(c: &Trend<'_>, fmt: &dyn Fn(f64) -> String) -> String {
    let values = c.runs.iter().flatten().map(|p| p.1).chain(c.limits.iter().map(|l| l.0));
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-9 {
        (lo, hi) = (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.06;
    let (lo, hi) = (lo - pad, hi + pad);
    let span = (c.to_ms - c.from_ms).max(1) as f64;
    let right = W - R;
    let bottom = H - B;
    let x = |t: i64| L + (right - L) * ((t - c.from_ms) as f64 / span).clamp(0.0, 1.0);
    let y = |v: f64| T + (bottom - T) * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let drawn: usize = c.runs.iter().map(Vec::len).sum();
    let title = esc(c.title);
    let mut s = format!(
        "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{title}\" data-rendered-points=\"{drawn}\" data-gaps=\"{}\"><title>{title}</title>",
        c.gaps.len()
    );
    // The gaps first, under everything: grey for no data, hatched red edges for bad quality.
    for g in c.gaps {
        let (x0, x1) = (x(g.from_ms), x(g.to_ms));
        let w = (x1 - x0).max(1.5);
        let (word, fill, stroke) = match g.kind {
            GapKind::NoData => (c.gap_words.0, "#e4e4e4", "none"),
            GapKind::BadQuality => (c.gap_words.1, "#f6dcdc", "#b00"),
        };
        s.push_str(&format!(
            "<rect class=\"gap\" data-gap=\"{key}\" data-from=\"{from}\" data-to=\"{to}\" x=\"{x0:.1}\" y=\"{T}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-dasharray=\"3 2\"><title>{word}</title></rect>",
            key = g.kind.key(),
            from = g.from_ms,
            to = g.to_ms,
            h = bottom - T,
            word = esc(word),
        ));
        if w >= LABEL_MIN_W {
            s.push_str(&format!(
                "<text class=\"gap-label\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
                x0 + w / 2.0,
                T + FONT + 4.0,
                esc(word)
            ));
        }
    }
    // Axes and the y range's captions.
    s.push_str(&format!(
        "<line x1=\"{L}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"#444\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{bottom}\" stroke=\"#444\"/>"
    ));
    for v in [hi, lo] {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"end\">{}</text>",
            L - 4.0,
            y(v) + FONT / 3.0,
            esc(&fmt(v))
        ));
    }
    let last = c.ticks.len().saturating_sub(1);
    for (i, (t, caption)) in c.ticks.iter().enumerate() {
        let anchor = if i == 0 { "start" } else if i == last { "end" } else { "middle" };
        let xt = x(*t);
        s.push_str(&format!(
            "<line x1=\"{xt:.1}\" y1=\"{bottom}\" x2=\"{xt:.1}\" y2=\"{:.1}\" stroke=\"#444\"/><text x=\"{xt:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"{anchor}\">{}</text>",
            bottom + 4.0,
            H - 6.0,
            esc(caption)
        ));
    }
    // Alarm limits: dashed, captioned at the right (the caption says which, not the colour).
    for (v, caption) in c.limits {
        let yl = y(*v);
        s.push_str(&format!(
            "<line class=\"limit\" x1=\"{L}\" y1=\"{yl:.1}\" x2=\"{right}\" y2=\"{yl:.1}\" stroke=\"#b00\" stroke-dasharray=\"6 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" fill=\"#900\">{}</text>",
            right + 3.0,
            yl + FONT / 3.0,
            esc(caption)
        ));
    }
    // The data: a line per run, a dot for a lone reading.
    for run in c.runs {
        match run.as_slice() {
            [] => {}
            [(t, v)] => s.push_str(&format!("<circle class=\"series\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1f5fa8\"/>", x(*t), y(*v))),
            run => {
                let pts: Vec<String> = run.iter().map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v))).collect();
                s.push_str(&format!("<polyline class=\"series\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.6\" points=\"{}\"/>", pts.join(" ")));
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(runs: &[Vec<(i64, f64)>], gaps: &[Gap], limits: &[(f64, String)]) -> String {
        let ticks = [(0, "10:00".to_string()), (3_600_000, "11:00".to_string())];
        trend(
            &Trend { runs, gaps, from_ms: 0, to_ms: 3_600_000, limits, ticks: &ticks, gap_words: ("inga data", "dålig kvalitet"), title: "Tryck <bar>: min 1, max 5" },
            &|v| format!("{v:.1}"),
        )
    }

    #[test]
    fn runs_are_separate_lines_and_a_lone_reading_is_a_dot_and_all_are_counted() {
        let runs = vec![vec![(0, 1.0), (600_000, 2.0)], vec![(1_800_000, 5.0)], vec![(2_400_000, 3.0), (3_000_000, 4.0), (3_600_000, 4.5)]];
        let svg = chart(&runs, &[], &[]);
        assert_eq!(svg.matches("<polyline class=\"series\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("<circle class=\"series\"").count(), 1, "{svg}");
        assert!(svg.contains("data-rendered-points=\"6\""), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 560 210\" width=\"100%\"") && !svg.contains("height=\"210\""), "{svg}");
        assert!(svg.contains("<title>Tryck &lt;bar&gt;: min 1, max 5</title>") && svg.contains("aria-label=\"Tryck &lt;bar&gt;: min 1, max 5\""), "{svg}");
        assert!(svg.contains(">10:00</text>") && svg.contains(">11:00</text>"), "{svg}");
    }

    #[test]
    fn gaps_are_shaded_and_named_when_wide_and_limits_are_captioned_lines() {
        let gaps = [Gap { from_ms: 600_000, to_ms: 1_800_000, kind: GapKind::NoData }, Gap { from_ms: 2_000_000, to_ms: 2_010_000, kind: GapKind::BadQuality }];
        let limits = [(4.0, "H 4,0".to_string())];
        let svg = chart(&[vec![(0, 1.0), (600_000, 2.0)]], &gaps, &limits);
        assert!(svg.contains("data-gap=\"no_data\"") && svg.contains("data-gap=\"bad_quality\""), "{svg}");
        // The wide gap is named on the chart; the narrow one only in its tooltip.
        assert_eq!(svg.matches("class=\"gap-label\"").count(), 1, "{svg}");
        assert!(svg.contains(">inga data</text>") && svg.contains("<title>dålig kvalitet</title>"), "{svg}");
        assert!(svg.contains("class=\"limit\"") && svg.contains(">H 4,0</text>"), "{svg}");
        // The limit is inside the y range even though the data never reaches it.
        assert!(svg.contains(">4.2</text>"), "{svg}");
    }

    #[test]
    fn a_chart_without_data_still_draws_its_axes_and_counts_nothing() {
        let gaps = [Gap { from_ms: 0, to_ms: 3_600_000, kind: GapKind::NoData }];
        let svg = chart(&[], &gaps, &[]);
        assert!(svg.contains("data-rendered-points=\"0\"") && svg.contains(">inga data</text>"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
