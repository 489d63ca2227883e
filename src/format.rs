//! One set of number formatters and byte writers for every output: the text of the commands,
//! the Markdown and HTML report and the chart labels all print money, shares and signs through
//! these functions, so one number reads the same everywhere (issue 14: the same formatter had
//! grown two or three times, with small differences a reader noticed).
//!
//! Two families: *results* are rounded for reading ([`whole`], [`money`], [`percent`],
//! [`short_number`]); *inputs* are printed exactly as the scenario states them ([`as_given`],
//! [`money_as_given`], [`percent_as_given`]) so a reader can check an assumption against the
//! file. Text and chart labels write a negative number with the true minus sign `−` (U+2212),
//! as typeset numbers are (the embedded chart font has the glyph). The writers ([`json_bytes`], [`csv_bytes`]) turn plain `Serialize` data into the bytes
//! of a file (STYLE.md §7: exporters return bytes, the command line writes them).

use serde::Serialize;

/// The minus sign of text (U+2212), wider than a hyphen and never broken from its number.
pub const MINUS: char = '\u{2212}';

/// `text` with every `-` written as [`MINUS`].
fn true_minus(text: String) -> String {
    if text.contains('-') {
        text.replace('-', "\u{2212}")
    } else {
        text
    }
}

/// Inserts a comma every three digits from the right of a string of ASCII digits.
pub fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `text` without the trailing zeros of its decimals, nor a point left bare: `1.50` → `1.5`,
/// `2.00` → `2`; a number without a point is left as it is (`100`).
pub fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// Whole units with thousands separators: `−1,234,568`. Never prints `−0`.
pub fn whole(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    // Past 10^15 whole units the digits say nothing a reader can use (and 1e300 would print
    // 301 of them): scientific notation with four significant digits.
    if value.abs() >= 1e15 {
        return true_minus(format!("{value:.3e}"));
    }
    let rounded = format!("{:.0}", value.abs());
    let sign = if rounded != "0" && value < 0.0 {
        "\u{2212}"
    } else {
        ""
    };
    format!("{sign}{}", group_digits(&rounded))
}

/// Money with thousands separators and the currency: `USD 1,234,568` (the amount alone when
/// there is no currency).
pub fn money(value: f64, currency: &str) -> String {
    let amount = whole(value);
    if currency.is_empty() {
        amount
    } else {
        format!("{currency} {amount}")
    }
}

/// Whole units with an explicit sign: `+1,234`, `−1,234`, `0`.
pub fn signed_whole(value: f64) -> String {
    let text = whole(value);
    if text != "0" && !text.starts_with(MINUS) {
        format!("+{text}")
    } else {
        text
    }
}

/// A signed money amount: `+USD 1,234` / `−USD 1,234`.
pub fn signed_money(value: f64, currency: &str) -> String {
    let text = money(value.abs(), currency);
    if whole(value) == "0" {
        text
    } else if value < 0.0 {
        format!("{MINUS}{text}")
    } else {
        format!("+{text}")
    }
}

/// A 95% interval in whole units: `1,000 to 1,200`.
pub fn whole_interval(ci: [f64; 2]) -> String {
    format!("{} to {}", whole(ci[0]), whole(ci[1]))
}

/// A 95% interval of money: `USD 1,000 to USD 1,200`.
pub fn money_interval(ci: [f64; 2], currency: &str) -> String {
    format!("{} to {}", money(ci[0], currency), money(ci[1], currency))
}

/// A marginal return: small numbers keep two decimals.
pub fn rate(value: f64) -> String {
    if !value.is_finite() {
        "n/a".to_string()
    } else if value.abs() >= 100.0 {
        whole(value)
    } else {
        true_minus(format!("{value:.2}"))
    }
}

/// A mean number of customers: whole numbers with separators, but one decimal below 100 so
/// that small cohorts do not round to nothing.
pub fn mean_count(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    if value.abs() >= 100.0 {
        return whole(value);
    }
    let text = format!("{value:.1}");
    if text == "-0.0" {
        "0.0".to_string()
    } else {
        true_minus(text)
    }
}

/// A number with at most `digits` decimals, trailing zeros dropped (whole units with
/// separators from 1,000 up).
pub fn number(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    if value.abs() >= 1000.0 {
        return whole(value);
    }
    let text = trim_zeros(&format!("{value:.digits$}"));
    if text == "-0" {
        "0".to_string()
    } else {
        true_minus(text)
    }
}

/// A share as a percentage with at most one decimal: `12.5%`, `0%`.
pub fn percent(share: f64) -> String {
    if !share.is_finite() {
        return "n/a".to_string();
    }
    true_minus(format!("{}%", trim_zeros(&format!("{:.1}", share * 100.0))))
}

/// A share as the figure of a percentage, at most two decimals and no sign: 0.3 → `30`,
/// 0.125 → `12.5` (the fit commands' margins and discount rates, followed by `%` in the text).
pub fn percent_figure(share: f64) -> String {
    let text = format!("{:.2}", 100.0 * share);
    trim_zeros(&text)
}

/// A share as a percentage with exactly one decimal, for columns that line up: `12.0%`.
pub fn percent_one_decimal(share: f64) -> String {
    true_minus(format!("{:.1}%", share * 100.0))
}

/// Short money or count for axis ticks and bar labels: `950`, `12k`, `1.25M`, `-3.4B`. The minus
/// is ASCII: the embedded Noto Sans has no U+2212 glyph.
/// At most three significant digits after scaling, trailing zeros dropped.
pub fn short_number(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e12 {
        (magnitude / 1e12, "T")
    } else if magnitude >= 1e9 {
        (magnitude / 1e9, "B")
    } else if magnitude >= 1e6 {
        (magnitude / 1e6, "M")
    } else if magnitude >= 1e3 {
        (magnitude / 1e3, "k")
    } else {
        (magnitude, "")
    };
    let decimals = if scaled >= 100.0 {
        0
    } else if scaled >= 10.0 {
        1
    } else {
        2
    };
    let text = trim_zeros(&format!("{scaled:.decimals$}"));
    if text == "0" {
        return "0".to_string();
    }
    let sign = if value < 0.0 { "\u{2212}" } else { "" };
    format!("{sign}{text}{suffix}")
}

/// [`short_number`] with a `+` on positive values, for bars that show a change: `+12k`, `−3.4M`.
pub fn signed_short(value: f64) -> String {
    let sign = if value > 0.0 { "+" } else { "" };
    format!("{sign}{}", short_number(value))
}

/// A number exactly as a scenario file would state it: the shortest decimal that reads back as
/// the same `f64` (Rust's `Display`), with thousands separators: `0.42`, `41.5`, `1,234.5`,
/// `-0.08`. Assumptions are printed this way so that a reader can check them against the file —
/// rounding to whole units turned a cost to serve of 1.55 into "2".
pub fn as_given(value: f64) -> String {
    if !value.is_finite() {
        return "n/a".to_string();
    }
    // Twelve significant digits drop the noise of arithmetic such as 0.985 × 100 without
    // hiding any digit a person types.
    let cleaned: f64 = format!("{value:.11e}").parse().unwrap_or(value);
    let text = format!("{}", cleaned.abs());
    let (whole_part, fraction) = match text.split_once('.') {
        Some((w, f)) => (w.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let grouped = group_digits(&whole_part);
    let sign = if cleaned < 0.0 { "\u{2212}" } else { "" };
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An amount of money as the scenario states it: [`as_given`] with cents kept to two places
/// when there are any (`USD 2.50`, `USD 0.425`, `USD 15`).
pub fn money_as_given(value: f64, currency: &str) -> String {
    let mut amount = as_given(value);
    if let Some((_, fraction)) = amount.split_once('.')
        && fraction.len() == 1
    {
        amount.push('0');
    }
    if currency.is_empty() {
        amount
    } else {
        format!("{currency} {amount}")
    }
}

/// A share as the scenario states it, as a percentage: `98.5%`, `0.35%`, `12%`.
pub fn percent_as_given(share: f64) -> String {
    if !share.is_finite() {
        return "n/a".to_string();
    }
    format!("{}%", as_given(share * 100.0))
}

/// Pretty JSON (2-space indent) with a final newline: the bytes of every `--json` output and
/// `.json` file.
pub fn json_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One CSV row per item, the header from the field names of `T` (nothing for no rows).
pub fn csv_bytes<T: Serialize>(rows: &[T]) -> csv::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row)?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_rounds_and_groups_digits() {
        assert_eq!(whole(0.0), "0");
        assert_eq!(whole(-0.4), "0");
        assert_eq!(whole(999.5), "1,000");
        assert_eq!(whole(1_234_567.89), "1,234,568");
        assert_eq!(whole(-40_432.11), "−40,432");
        assert_eq!(whole(123.0), "123");
        assert_eq!(whole(f64::NAN), "n/a");
        assert_eq!(whole(-1.23456e300), "−1.235e300");
    }

    #[test]
    fn counts_keep_a_decimal_when_small() {
        assert_eq!(mean_count(12.34), "12.3");
        assert_eq!(mean_count(-0.01), "0.0");
        assert_eq!(mean_count(8_123.4), "8,123");
    }

    #[test]
    fn inputs_are_printed_as_given() {
        assert_eq!(as_given(0.42), "0.42");
        assert_eq!(as_given(41.5), "41.5");
        assert_eq!(as_given(1234.5), "1,234.5");
        assert_eq!(as_given(-0.08), "−0.08");
        assert_eq!(as_given(400000.0), "400,000");
        assert_eq!(as_given(1e-7), "0.0000001");
        assert_eq!(money_as_given(2.5, "EUR"), "EUR 2.50");
        assert_eq!(money_as_given(1.55, "EUR"), "EUR 1.55");
        assert_eq!(money_as_given(0.425, ""), "0.425");
        assert_eq!(money_as_given(15.0, "USD"), "USD 15");
        assert_eq!(percent_as_given(0.985), "98.5%");
        assert_eq!(percent_as_given(0.0035), "0.35%");
        assert_eq!(percent_as_given(0.07), "7%");
    }

    #[test]
    fn short_numbers_scale_and_trim() {
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(-0.001), "0");
        assert_eq!(short_number(950.0), "950");
        assert_eq!(short_number(12_000.0), "12k");
        assert_eq!(short_number(2_500.0), "2.5k");
        assert_eq!(short_number(1_250_000.0), "1.25M");
        assert_eq!(short_number(1_200_000.0), "1.2M");
        assert_eq!(short_number(-3_400_000_000.0), "−3.4B");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(f64::NAN), "n/a");
    }

    #[test]
    fn money_has_separators_signs_and_currency() {
        assert_eq!(money(1_234_567.6, "USD"), "USD 1,234,568");
        assert_eq!(signed_money(-40_432.0, "EUR"), "−EUR 40,432");
        assert_eq!(signed_money(5.0, "EUR"), "+EUR 5");
        assert_eq!(signed_money(-0.2, "EUR"), "EUR 0");
        assert_eq!(money(12.0, ""), "12");
        assert_eq!(money_interval([1.0, 2000.0], "USD"), "USD 1 to USD 2,000");
        assert_eq!(signed_whole(1234.0), "+1,234");
        assert_eq!(signed_whole(-0.3), "0");
        assert_eq!(whole_interval([-5.0, 10.0]), "−5 to 10");
    }

    #[test]
    fn text_and_charts_have_the_true_minus() {
        assert_eq!(rate(-0.25), "−0.25");
        assert_eq!(number(-1.5, 2), "−1.5");
        assert_eq!(number(-0.0001, 2), "0");
        assert_eq!(mean_count(-12.0), "−12.0");
        assert_eq!(percent(-0.125), "−12.5%");
        assert_eq!(short_number(-1_500.0), "−1.5k");
        assert!(!whole(-0.4).contains(MINUS), "no minus on a zero");
    }

    #[test]
    fn percents_and_rates() {
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent_one_decimal(0.12), "12.0%");
        assert_eq!(rate(0.4234), "0.42");
        assert_eq!(rate(1234.4), "1,234");
        assert_eq!(rate(f64::INFINITY), "n/a");
        assert_eq!(number(0.12345, 3), "0.123");
        assert_eq!(number(2.0, 3), "2");
        assert_eq!(number(12_345.6, 3), "12,346");
    }

    #[derive(Serialize)]
    struct Row {
        a: u32,
        b: &'static str,
    }

    #[test]
    fn writers_end_json_in_a_newline_and_head_csv_with_field_names() {
        assert_eq!(json_bytes(&[1, 2]).unwrap(), b"[\n  1,\n  2\n]\n");
        let rows = [Row { a: 1, b: "x" }, Row { a: 2, b: "y,z" }];
        assert_eq!(csv_bytes(&rows).unwrap(), b"a,b\n1,x\n2,\"y,z\"\n");
        assert!(csv_bytes::<Row>(&[]).unwrap().is_empty());
    }
}
