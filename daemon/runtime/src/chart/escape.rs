//! Text inside the charts' SVG.

/// `s` safe in SVG text and double-quoted attributes.
pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
