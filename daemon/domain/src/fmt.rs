//! Number formatting for operators: the Swedish way (decimal comma, thin space between
//! thousands). Alarm texts, endurance figures, reports and the command line all use it.

/// A number the Swedish way: decimal comma, thin space between thousands (`18 400`, `50,0`).
pub fn number_sv(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c != '0' && c != '.') { "−" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped},{frac}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers_group_thousands_and_use_decimal_comma() {
        assert_eq!(number_sv(18400.0, 0), "18\u{202f}400");
        assert_eq!(number_sv(50.04, 1), "50,0");
        assert_eq!(number_sv(-1234567.5, 1), "−1\u{202f}234\u{202f}567,5");
        assert_eq!(number_sv(-0.01, 1), "0,0");
    }
}
