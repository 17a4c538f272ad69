//! Headless Chromium for report tests: the DOM as Chromium built it, a full-page PNG and an A4
//! PDF of an HTML file (`tests/run.sh` installs the `chromium` package).

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The Chromium binary on this machine; a missing one is a failure, never a skip.
pub fn binary() -> String {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return c.to_string();
        }
    }
    panic!("headless Chromium is needed (tests/run.sh installs the `chromium` package)");
}

fn chrome(bin: &str, profile: &Path, extra: &[String], url: &str) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd.args(extra).arg(url).stdin(Stdio::null());
    cmd.output().expect("run chromium")
}

/// What Chromium made of one HTML file.
pub struct Rendered {
    /// The DOM after parsing (`--dump-dom`).
    pub dom: String,
    /// The full-page screenshot's bytes.
    pub png: Vec<u8>,
    /// The printed PDF's bytes.
    pub pdf: Vec<u8>,
}

/// Render `html` in headless Chromium to its DOM, `NAME.png` and `NAME.pdf` in `dir`.
pub fn render(html: &Path, dir: &Path, name: &str) -> Rendered {
    let bin = binary();
    let url = format!("file://{}", html.display());
    let profile = dir.join(format!("chrome-profile-{name}"));
    let dom = chrome(&bin, &profile, &["--dump-dom".to_string()], &url);
    let png_path = dir.join(format!("{name}.png"));
    let out = chrome(&bin, &profile, &[format!("--screenshot={}", png_path.display()), "--window-size=1240,6000".into()], &url);
    let png = std::fs::read(&png_path).unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    let pdf_path = dir.join(format!("{name}.pdf"));
    let out = chrome(&bin, &profile, &[format!("--print-to-pdf={}", pdf_path.display()), "--no-pdf-header-footer".into()], &url);
    let pdf = std::fs::read(&pdf_path).unwrap_or_else(|_| panic!("no PDF: {}", String::from_utf8_lossy(&out.stderr)));
    Rendered { dom: String::from_utf8_lossy(&dom.stdout).into_owned(), png, pdf }
}
