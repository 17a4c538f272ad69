//! The exercise report's line chart: one series, the band shaded, the run's start and stop
//! marked, no scripts and no external files, so the report prints anywhere.

use super::escape::esc;

/// What one chart draws.
pub struct Chart<'a> {
    /// (UTC ms, value) in time order.
    pub series: &'a [(i64, f64)],
    /// The x axis: `[from_ms, to_ms)`.
    pub from_ms: i64,
    /// End of the x axis.
    pub to_ms: i64,
    /// The band shaded (either edge may be open).
    pub band: (Option<f64>, Option<f64>),
    /// Vertical markers: (UTC ms, caption) — the run's start and stop.
    pub marks: &'a [(i64, String)],
    /// The y axis's caption.
    pub label: &'a str,
    /// Captions of the x axis's ends (local times).
    pub x_labels: (&'a str, &'a str),
}

/// The chart as an `<svg>`; empty when the series is.
pub fn line(c: &Chart<'_>, fmt: &dyn Fn(f64) -> String) -> String {
    const W: f64 = 640.0;
    const H: f64 = 190.0;
    const L: f64 = 64.0;
    const B: f64 = 34.0;
    const T: f64 = 14.0;
    if c.series.is_empty() {
        return String::new();
    }
    let mut lo = c.series.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = c.series.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    for b in [c.band.0, c.band.1].into_iter().flatten() {
        lo = lo.min(b);
        hi = hi.max(b);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.05;
    let (lo, hi) = (lo - pad, hi + pad);
    let span = (c.to_ms - c.from_ms).max(1) as f64;
    let x = |t: i64| L + (W - L - 8.0) * ((t - c.from_ms) as f64 / span).clamp(0.0, 1.0);
    let y = |v: f64| T + (H - B - T) * (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let label = esc(c.label);
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{label}\">"
    );
    // The band: shaded, edges dashed (readable in black and white).
    if c.band.0.is_some() || c.band.1.is_some() {
        let top = y(c.band.1.unwrap_or(hi));
        let bottom = y(c.band.0.unwrap_or(lo));
        s.push_str(&format!(
            "<rect class=\"band\" x=\"{L}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#dfeedd\"/>",
            W - L - 8.0,
            (bottom - top).max(0.0)
        ));
        for edge in [c.band.0, c.band.1].into_iter().flatten() {
            s.push_str(&format!(
                "<line class=\"band-edge\" x1=\"{L}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#3a7a34\" stroke-dasharray=\"4 3\"/>",
                y(edge),
                W - 8.0
            ));
        }
    }
    // Axes and their captions.
    s.push_str(&format!(
        "<line x1=\"{L}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#444\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{0:.1}\" stroke=\"#444\"/>",
        H - B,
        W - 8.0
    ));
    for v in [hi, lo] {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            L - 4.0,
            y(v) + 4.0,
            esc(&fmt(v))
        ));
    }
    s.push_str(&format!(
        "<text x=\"{L}\" y=\"{:.1}\" font-size=\"10\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
        H - B + 12.0,
        esc(c.x_labels.0),
        W - 8.0,
        H - B + 12.0,
        esc(c.x_labels.1)
    ));
    s.push_str(&format!("<text x=\"{L}\" y=\"{:.1}\" font-size=\"10\" font-weight=\"bold\">{label}</text>", H - 6.0));
    // The run's start and stop.
    for (t, caption) in c.marks {
        let xt = x(*t);
        s.push_str(&format!(
            "<line class=\"mark\" x1=\"{xt:.1}\" y1=\"{T}\" x2=\"{xt:.1}\" y2=\"{:.1}\" stroke=\"#000\" stroke-dasharray=\"2 2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\">{}</text>",
            H - B,
            xt + 2.0,
            T - 3.0,
            esc(caption)
        ));
    }
    let pts: Vec<String> = c.series.iter().map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v))).collect();
    s.push_str(&format!(
        "<polyline class=\"series\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\" points=\"{}\"/>",
        pts.join(" ")
    ));
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_shades_its_band_and_marks_start_and_stop() {
        let series = [(0, 4.0), (500, 2.5), (1000, 4.1)];
        let marks = [(100, "start".to_string()), (900, "stopp".to_string())];
        let svg = line(
            &Chart { series: &series, from_ms: 0, to_ms: 1000, band: (Some(3.5), Some(5.0)), marks: &marks, label: "tryck <bar>", x_labels: ("10:00", "11:00") },
            &|v| format!("{v:.1}"),
        );
        assert!(svg.contains("class=\"band\"") && svg.matches("class=\"band-edge\"").count() == 2);
        assert_eq!(svg.matches("class=\"mark\"").count(), 2);
        assert!(svg.contains("stopp") && svg.contains("tryck &lt;bar&gt;"));
        assert!(svg.contains("<polyline class=\"series\""));
        assert!(line(&Chart { series: &[], from_ms: 0, to_ms: 1, band: (None, None), marks: &[], label: "", x_labels: ("", "") }, &|v| v.to_string()).is_empty());
    }
}
