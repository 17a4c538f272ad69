//! Inline SVG line charts: no scripts, no external files, so the report prints anywhere.

/// A line chart of `series` (time ms, value) over `[from_ms, to_ms)`, with an optional
/// horizontal target line; `label` names the y axis.
pub fn line(
    series: &[(i64, f64)],
    from_ms: i64,
    to_ms: i64,
    target: Option<f64>,
    label: &str,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    const W: f64 = 640.0;
    const H: f64 = 180.0;
    const L: f64 = 64.0;
    const B: f64 = 22.0;
    if series.is_empty() {
        return String::new();
    }
    let mut lo = series.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = series.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = target {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    lo = lo.min(0.0);
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let span = (to_ms - from_ms).max(1) as f64;
    let x = |t: i64| L + (W - L - 8.0) * ((t - from_ms) as f64 / span).clamp(0.0, 1.0);
    let y = |v: f64| 6.0 + (H - B - 6.0) * (1.0 - (v - lo) / (hi - lo));
    let pts: Vec<String> = series
        .iter()
        .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
        .collect();
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{label}\">"
    );
    s.push_str(&format!(
        "<line x1=\"{L}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#444\"/><line x1=\"{L}\" y1=\"6\" x2=\"{L}\" y2=\"{:.1}\" stroke=\"#444\"/>",
        H - B, W - 8.0, H - B, H - B
    ));
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
        L - 4.0,
        y(hi) + 4.0,
        fmt(hi)
    ));
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
        L - 4.0,
        y(lo),
        fmt(lo)
    ));
    s.push_str(&format!(
        "<text x=\"{L}\" y=\"{:.1}\" font-size=\"10\">{label}</text>",
        H - 6.0
    ));
    if let Some(t) = target {
        s.push_str(&format!(
            "<line class=\"target\" x1=\"{L}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"#c00\" stroke-dasharray=\"4 3\"/>",
            y(t),
            W - 8.0
        ));
    }
    s.push_str(&format!("<polyline class=\"series\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\" points=\"{}\"/>", pts.join(" ")));
    s.push_str("</svg>");
    s
}
