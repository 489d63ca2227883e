//! Dates and amounts as firms export them: `01/18/1997` or `18.01.1997`, `$29.33`, `1.234,50`.
//!
//! A single field often cannot say how it is written: `03/04/1997` is March 4 or April 3,
//! `1,234` is 1234 or 1.234. The file as a whole usually can: one date with a day above 12
//! fixes the order of all, one amount like `29,33` fixes the decimal mark. So each field is
//! read into a raw value that keeps both readings when it has two ([`RawDate`], [`RawAmount`]),
//! evidence is gathered over the whole column ([`DateEvidence`], [`AmountEvidence`]), and the
//! values are resolved once the file has been read. Evidence both ways (a day-first and a
//! month-first date in one file, decimal commas and decimal points) is an error that names a
//! line of each; no evidence at all for dates is an error asking for `--date-format`, since a
//! guessed day/month order silently misdates most orders, while amounts fall back to the
//! convention of the file's separator, as before (a note says so).

use super::FitError;
use super::transactions::days_from_civil;

/// How the log's dates are written.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum DateFormat {
    /// ISO (1997-01-18) and compact (19970118) dates, year-first with `/` or `.`
    /// (1997/01/18), and day-first or month-first dates with `/`, `.` or `-` and a four-digit
    /// year (18/01/1997, 01-18-1997) when the file's dates decide the order; a time after the
    /// date is ignored.
    #[default]
    Auto,
    /// A strftime-style format (chrono's syntax), e.g. `%m/%d/%Y` or `%d.%m.%Y %H:%M`. A time
    /// after the date is ignored when the format has none.
    Strftime(String),
}

impl DateFormat {
    /// A strftime-style format, checked: every `%` specifier must be known and the format must
    /// name a day, a month and a year (or a whole date such as `%F`).
    pub fn strftime(format: &str) -> Result<Self, FitError> {
        use chrono::format::{Item, StrftimeItems};
        if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
            return Err(FitError::Settings(format!(
                "the date format '{format}' has a specifier strftime does not know; use e.g. \
                 %d/%m/%Y, %m/%d/%Y or %d.%m.%Y"
            )));
        }
        let probe = chrono::NaiveDate::from_ymd_opt(2031, 12, 25)
            .map(|d| d.format(format).to_string())
            .unwrap_or_default();
        if chrono::NaiveDate::parse_from_str(&probe, format).ok()
            != chrono::NaiveDate::from_ymd_opt(2031, 12, 25)
        {
            return Err(FitError::Settings(format!(
                "the date format '{format}' does not give a whole date; it needs a day, a \
                 month and a year, e.g. %d/%m/%Y"
            )));
        }
        Ok(DateFormat::Strftime(format.to_string()))
    }
}

/// The order of day and month in dates like 03/04/1997.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// A date field before the file's day/month order is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawDate {
    /// A date with one reading: days since 1970-01-01.
    Day(i64),
    /// first/second/year with both first and second in 1..=31: day-first or month-first;
    /// `separator` as written, for messages.
    Either {
        first: u32,
        second: u32,
        year: i64,
        separator: char,
    },
}

/// Days since 1970-01-01 of a valid calendar date.
pub fn civil_day(year: i64, month: u32, day: u32) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day == 0 || day > month_days[month as usize - 1] {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Reads a date field; the error is the bad row's message.
pub fn read_date(text: &str, format: &DateFormat) -> Result<RawDate, String> {
    let text = text.trim();
    match format {
        DateFormat::Strftime(format) => {
            let date = chrono::NaiveDate::parse_from_str(text, format)
                .or_else(|error| {
                    // A time after the date that the format does not mention.
                    let head = text.split([' ', 'T']).next().unwrap_or(text);
                    chrono::NaiveDate::parse_from_str(head, format).map_err(|_| error)
                })
                .map_err(|error| {
                    format!("'{text}' does not match the date format '{format}' ({error})")
                })?;
            use chrono::Datelike;
            Ok(RawDate::Day(days_from_civil(
                i64::from(date.year()),
                date.month(),
                date.day(),
            )))
        }
        DateFormat::Auto => read_auto_date(text).ok_or_else(|| {
            format!(
                "'{text}' is not a date (expected 2024-03-31, 20240331, 31/03/2024, \
                 03/31/2024 or 31.03.2024; --date-format reads others)"
            )
        }),
    }
}

fn read_auto_date(text: &str) -> Option<RawDate> {
    let date = text.split([' ', 'T']).next().unwrap_or(text);
    if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, d) = (&date[0..4], &date[4..6], &date[6..8]);
        return civil_day(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).map(RawDate::Day);
    }
    let separator = date.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut split = date.split(separator);
    let parts = [split.next()?, split.next()?, split.next()?];
    if split.next().is_some()
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if parts[0].len() == 4 {
        // Year first: 1997-01-18, 1997/01/18, 1997.01.18.
        if parts[1].len() > 2 || parts[2].len() > 2 {
            return None;
        }
        return civil_day(
            parts[0].parse().ok()?,
            parts[1].parse().ok()?,
            parts[2].parse().ok()?,
        )
        .map(RawDate::Day);
    }
    if parts[2].len() != 4 || parts[0].len() > 2 || parts[1].len() > 2 {
        return None;
    }
    let (first, second, year): (u32, u32, i64) = (
        parts[0].parse().ok()?,
        parts[1].parse().ok()?,
        parts[2].parse().ok()?,
    );
    if !(1..=31).contains(&first) || !(1..=31).contains(&second) || (first > 12 && second > 12) {
        return None;
    }
    Some(RawDate::Either {
        first,
        second,
        year,
        separator,
    })
}

/// What a date column says about its day/month order: a line with a day above 12 in first
/// place, one with it in second place, and one whose two readings differ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DateEvidence {
    day_first: Option<(u64, String)>,
    month_first: Option<(u64, String)>,
    undecided: Option<(u64, String)>,
}

impl DateEvidence {
    pub fn observe(&mut self, raw: &RawDate, line: u64, text: &str) {
        if let RawDate::Either { first, second, .. } = *raw {
            let slot = if first > 12 {
                &mut self.day_first
            } else if second > 12 {
                &mut self.month_first
            } else if first != second {
                &mut self.undecided
            } else {
                return;
            };
            if slot.is_none() {
                *slot = Some((line, text.trim().to_string()));
            }
        }
    }

    /// The order the file's dates are written in; None when no date needs one. Errors: both
    /// orders in one file, or dates with two readings and nothing to decide between them.
    pub fn decide(&self) -> Result<Option<DateOrder>, FitError> {
        match (&self.day_first, &self.month_first) {
            (Some((day_line, day)), Some((month_line, month))) => {
                Err(FitError::NotEnoughData(format!(
                    "the dates mix day-first (line {day_line}: '{day}') and month-first (line \
                     {month_line}: '{month}') orders; fix the export or give the date format"
                )))
            }
            (Some(_), None) => Ok(Some(DateOrder::DayFirst)),
            (None, Some(_)) => Ok(Some(DateOrder::MonthFirst)),
            (None, None) => match &self.undecided {
                Some((line, text)) => Err(FitError::NotEnoughData(format!(
                    "dates like '{text}' (line {line}) can be day-first or month-first and no \
                     date in the file has a day above 12 to decide; give the date format \
                     (%d/%m/%Y or %m/%d/%Y, with the file's separator)"
                ))),
                None => Ok(None),
            },
        }
    }

    /// How the order was decided, for a note to the user.
    pub fn explain(&self, order: DateOrder) -> String {
        let (name, evidence) = match order {
            DateOrder::DayFirst => ("day first (day/month/year)", &self.day_first),
            DateOrder::MonthFirst => ("month first (month/day/year)", &self.month_first),
        };
        match evidence {
            Some((line, text)) => format!("dates read {name}, as line {line} ('{text}') shows"),
            None => format!("dates read {name}"),
        }
    }
}

/// The day of a raw date once the order is known; None for an impossible date (31/02/1997).
pub fn resolve_date(raw: RawDate, order: Option<DateOrder>) -> Option<i64> {
    match raw {
        RawDate::Day(day) => Some(day),
        RawDate::Either {
            first,
            second,
            year,
            ..
        } => match order.unwrap_or(DateOrder::DayFirst) {
            DateOrder::DayFirst => civil_day(year, second, first),
            DateOrder::MonthFirst => civil_day(year, first, second),
        },
    }
}

/// The decimal mark of a file's amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalMark {
    Point,
    Comma,
}

/// An amount field before the file's decimal mark is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawAmount {
    Exact(f64),
    /// One separator followed by exactly three digits (`1,234`, `1.234`): `decimal` if the
    /// separator is the file's decimal mark, `grouped` if it separates thousands.
    Ambiguous {
        separator: DecimalMark,
        decimal: f64,
        grouped: f64,
    },
}

/// Currency signs stripped from amounts.
const CURRENCY_SIGNS: &[char] = &[
    '$', '€', '£', '¥', '₹', '₽', '₩', '₪', '₫', '฿', '₺', '₴', '₦', '¢', '₱', '₲', '₡',
];

/// What reading an amount found about the decimal mark.
fn evidence_of(raw: &RawAmount, text: &str) -> Option<DecimalMark> {
    if let RawAmount::Ambiguous { .. } = raw {
        return None;
    }
    let points = text.matches('.').count();
    let commas = text.matches(',').count();
    match (text.rfind('.'), text.rfind(',')) {
        (None, None) => None,
        (Some(p), Some(c)) => Some(if p > c {
            DecimalMark::Point
        } else {
            DecimalMark::Comma
        }),
        // Only points: one is a decimal point; several separate thousands (1.234.567).
        (Some(_), None) => Some(if points == 1 {
            DecimalMark::Point
        } else {
            DecimalMark::Comma
        }),
        (None, Some(_)) => Some(if commas == 1 {
            DecimalMark::Comma
        } else {
            DecimalMark::Point
        }),
    }
}

/// Reads an amount field: an optional sign (`-`, `−`, a trailing `-` or parentheses), currency
/// signs or a three-letter code before or after (`$29.33`, `29,33 €`, `EUR 1.234,50`), spaces,
/// apostrophes or separators between thousands, and a decimal point or comma. The error is the
/// bad row's message.
pub fn read_amount(text: &str) -> Result<RawAmount, String> {
    // The common case first, without allocating: a plain number that is not `1.234`.
    let trimmed = text.trim();
    if !trimmed.is_empty()
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && trimmed.find('.').is_none_or(|i| trimmed.len() - i - 1 != 3)
        && let Ok(value) = trimmed.parse::<f64>()
        && value.is_finite()
    {
        return Ok(RawAmount::Exact(value));
    }
    let bad = || format!("the amount '{}' is not a number", text.trim());
    let mut s: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\'' | '’'))
        .collect();
    if s.is_empty() {
        return Err("the amount is empty".to_string());
    }
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = s[1..s.len() - 1].to_string();
    }
    // Strip signs, currency signs and letter codes from both ends, in any order.
    loop {
        let before = s.len();
        for sign in ['-', '−'] {
            if let Some(rest) = s.strip_prefix(sign) {
                negative = !negative;
                s = rest.to_string();
            }
            if let Some(rest) = s.strip_suffix(sign) {
                negative = !negative;
                s = rest.to_string();
            }
        }
        if let Some(rest) = s.strip_prefix('+') {
            s = rest.to_string();
        }
        s = s.trim_matches(CURRENCY_SIGNS).to_string();
        let letters_front = s.chars().take_while(char::is_ascii_alphabetic).count();
        if (1..=3).contains(&letters_front) && s.len() > letters_front {
            s = s[letters_front..].to_string();
        }
        let letters_back = s
            .chars()
            .rev()
            .take_while(char::is_ascii_alphabetic)
            .count();
        if (1..=3).contains(&letters_back) && s.len() > letters_back {
            s = s[..s.len() - letters_back].to_string();
        }
        if s.len() == before {
            break;
        }
    }
    let signed = |v: f64| if negative { -v } else { v };
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        // Scientific notation and the like, as plain numbers.
        return s
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| RawAmount::Exact(signed(v)))
            .ok_or_else(bad);
    }
    let points = s.matches('.').count();
    let commas = s.matches(',').count();
    let (decimal, thousands) = match (points, commas) {
        (0, 0) => (None, None),
        (1, 0) | (0, 1) => {
            let separator = if points == 1 { '.' } else { ',' };
            let (whole, fraction) = s.split_once(separator).ok_or_else(bad)?;
            let plain = format!("{whole}.{fraction}");
            let value: f64 = plain.parse().map_err(|_| bad())?;
            if fraction.len() == 3 && (1..=3).contains(&whole.len()) && !whole.starts_with('0') {
                let grouped: f64 = format!("{whole}{fraction}").parse().map_err(|_| bad())?;
                return Ok(RawAmount::Ambiguous {
                    separator: if separator == '.' {
                        DecimalMark::Point
                    } else {
                        DecimalMark::Comma
                    },
                    decimal: signed(value),
                    grouped: signed(grouped),
                });
            }
            return Ok(RawAmount::Exact(signed(value)));
        }
        (_, 0) => (None, Some('.')),
        (0, _) => (None, Some(',')),
        _ => {
            let last_point = s.rfind('.').unwrap_or(0);
            let last_comma = s.rfind(',').unwrap_or(0);
            if last_point > last_comma {
                (Some('.'), Some(','))
            } else {
                (Some(','), Some('.'))
            }
        }
    };
    let (whole, fraction) = match decimal {
        Some(mark) => {
            let (whole, fraction) = s.rsplit_once(mark).ok_or_else(bad)?;
            if fraction.contains(['.', ',']) {
                return Err(bad());
            }
            (whole, fraction)
        }
        None => (s.as_str(), ""),
    };
    if let Some(separator) = thousands {
        // Groups of three after a first group of one to three digits.
        let groups: Vec<&str> = whole.split(separator).collect();
        let well_grouped = groups[0].len() <= 3
            && !groups[0].is_empty()
            && groups[1..].iter().all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
        if !well_grouped {
            return Err(bad());
        }
    }
    let digits: String = whole.chars().filter(char::is_ascii_digit).collect();
    let plain = if fraction.is_empty() {
        digits
    } else {
        format!("{digits}.{fraction}")
    };
    plain
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| RawAmount::Exact(signed(v)))
        .ok_or_else(bad)
}

/// What an amount column says about its decimal mark: a line showing each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AmountEvidence {
    point: Option<(u64, String)>,
    comma: Option<(u64, String)>,
    ambiguous: Option<(u64, String)>,
}

impl AmountEvidence {
    pub fn observe(&mut self, raw: &RawAmount, line: u64, text: &str) {
        let slot = match evidence_of(raw, text) {
            Some(DecimalMark::Point) => &mut self.point,
            Some(DecimalMark::Comma) => &mut self.comma,
            None if matches!(raw, RawAmount::Ambiguous { .. }) => &mut self.ambiguous,
            None => return,
        };
        if slot.is_none() {
            *slot = Some((line, text.trim().to_string()));
        }
    }

    /// The file's decimal mark. With no evidence either way it is the comma in files separated
    /// by semicolons or tabs (as European exports are) and the point otherwise. Error: both
    /// marks in one file.
    pub fn decide(&self, delimiter: u8) -> Result<DecimalMark, FitError> {
        match (&self.point, &self.comma) {
            (Some((point_line, point)), Some((comma_line, comma))) => {
                Err(FitError::NotEnoughData(format!(
                    "the amounts mix decimal points (line {point_line}: '{point}') and decimal \
                     commas (line {comma_line}: '{comma}'); fix the export so that one mark is \
                     used throughout"
                )))
            }
            (Some(_), None) => Ok(DecimalMark::Point),
            (None, Some(_)) => Ok(DecimalMark::Comma),
            (None, None) if delimiter == b',' => Ok(DecimalMark::Point),
            (None, None) => Ok(DecimalMark::Comma),
        }
    }

    /// A note when amounts like `1,234` were read by the separator's convention alone.
    pub fn guess_note(&self, mark: DecimalMark) -> Option<String> {
        if self.point.is_some() || self.comma.is_some() {
            return None;
        }
        let (line, text) = self.ambiguous.as_ref()?;
        let reading = match mark {
            DecimalMark::Point => "a decimal point (and commas between thousands)",
            DecimalMark::Comma => "a decimal comma (and points between thousands)",
        };
        Some(format!(
            "amounts like '{text}' (line {line}) were read with {reading}, the usual convention \
             for the file's separator; no amount in the file shows its decimal mark"
        ))
    }
}

/// The value of a raw amount once the decimal mark is known.
pub fn resolve_amount(raw: RawAmount, mark: DecimalMark) -> f64 {
    match raw {
        RawAmount::Exact(v) => v,
        RawAmount::Ambiguous {
            separator,
            decimal,
            grouped,
        } => {
            if separator == mark {
                decimal
            } else {
                grouped
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: u32, d: u32) -> RawDate {
        RawDate::Day(days_from_civil(y, m, d))
    }

    #[test]
    fn reads_dates_in_every_usual_layout() {
        let auto = DateFormat::Auto;
        for text in [
            "1997-01-18",
            "19970118",
            "1997/01/18",
            "1997.01.18",
            "1997-01-18 14:05",
        ] {
            assert_eq!(read_date(text, &auto), Ok(day(1997, 1, 18)), "{text}");
        }
        for (text, separator) in [
            ("18/01/1997", '/'),
            ("18.01.1997", '.'),
            ("18-01-1997", '-'),
            ("18/1/1997 09:30", '/'),
        ] {
            let either = RawDate::Either {
                first: 18,
                second: 1,
                year: 1997,
                separator,
            };
            assert_eq!(read_date(text, &auto), Ok(either), "{text}");
        }
        assert!(read_date("18/13/1997", &auto).is_err());
        assert!(
            read_date("1/18/97", &auto).is_err(),
            "two-digit years need a format"
        );
        assert!(
            read_date("yesterday", &auto)
                .unwrap_err()
                .contains("--date-format")
        );
    }

    #[test]
    fn the_file_decides_the_day_month_order() {
        let mut evidence = DateEvidence::default();
        let ambiguous = read_date("03/04/1997", &DateFormat::Auto).unwrap();
        evidence.observe(&ambiguous, 2, "03/04/1997");
        let error = evidence.decide().unwrap_err().to_string();
        assert!(
            error.contains("'03/04/1997' (line 2) can be day-first or month-first"),
            "{error}"
        );
        let decisive = read_date("01/18/1997", &DateFormat::Auto).unwrap();
        evidence.observe(&decisive, 7, "01/18/1997");
        assert_eq!(evidence.decide(), Ok(Some(DateOrder::MonthFirst)));
        assert_eq!(
            resolve_date(ambiguous, Some(DateOrder::MonthFirst)),
            Some(days_from_civil(1997, 3, 4))
        );
        assert_eq!(
            evidence.explain(DateOrder::MonthFirst),
            "dates read month first (month/day/year), as line 7 ('01/18/1997') shows"
        );
        let other = read_date("18/01/1997", &DateFormat::Auto).unwrap();
        evidence.observe(&other, 9, "18/01/1997");
        let error = evidence.decide().unwrap_err().to_string();
        assert!(
            error.contains("line 9: '18/01/1997'") && error.contains("line 7"),
            "{error}"
        );
        // Same day and month: no order needed.
        let mut same = DateEvidence::default();
        same.observe(
            &read_date("05/05/1997", &DateFormat::Auto).unwrap(),
            2,
            "05/05/1997",
        );
        assert_eq!(same.decide(), Ok(None));
        // Impossible once the order is known.
        let feb = read_date("31/02/1997", &DateFormat::Auto).unwrap();
        assert_eq!(resolve_date(feb, Some(DateOrder::DayFirst)), None);
    }

    #[test]
    fn strftime_formats_are_checked_and_read() {
        let us = DateFormat::strftime("%m/%d/%Y").unwrap();
        assert_eq!(read_date("01/18/1997", &us), Ok(day(1997, 1, 18)));
        assert_eq!(read_date("01/18/1997 23:59", &us), Ok(day(1997, 1, 18)));
        let error = read_date("18/01/1997", &us).unwrap_err();
        assert!(
            error.starts_with("'18/01/1997' does not match the date format '%m/%d/%Y'"),
            "{error}"
        );
        let short = DateFormat::strftime("%d.%m.%y").unwrap();
        assert_eq!(read_date("18.01.97", &short), Ok(day(1997, 1, 18)));
        let named = DateFormat::strftime("%d %b %Y").unwrap();
        assert_eq!(read_date("18 Jan 1997", &named), Ok(day(1997, 1, 18)));
        assert!(DateFormat::strftime("%Q/%d").is_err());
        let error = DateFormat::strftime("%m/%Y").unwrap_err().to_string();
        assert!(error.contains("does not give a whole date"), "{error}");
    }

    fn exact(text: &str) -> f64 {
        match read_amount(text) {
            Ok(RawAmount::Exact(v)) => v,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn reads_amounts_with_currency_signs_and_thousands() {
        assert_eq!(exact("29.33"), 29.33);
        assert_eq!(exact("$29.33"), 29.33);
        assert_eq!(exact("-$29.33"), -29.33);
        assert_eq!(exact("$-29.33"), -29.33);
        assert_eq!(exact("(29.33)"), -29.33);
        assert_eq!(exact("29,33 €"), 29.33);
        assert_eq!(exact("EUR 1.234,50"), 1234.5);
        assert_eq!(exact("1.234,50"), 1234.5);
        assert_eq!(exact("1,234.50"), 1234.5);
        assert_eq!(exact("USD 1,234,567"), 1_234_567.0);
        assert_eq!(exact("1.234.567"), 1_234_567.0);
        assert_eq!(exact("1 234,50"), 1234.5);
        assert_eq!(exact("1\u{a0}234,50"), 1234.5);
        assert_eq!(exact("1'234.50"), 1234.5);
        assert_eq!(exact("29.33-"), -29.33);
        assert_eq!(exact("0.125"), 0.125);
        assert_eq!(exact("1e3"), 1000.0);
        assert_eq!(exact("12"), 12.0);
        for bad in [
            "abc",
            "1,23,4.00",
            "12.34.5",
            "$",
            "",
            "1.234,5,6",
            "inf",
            "NaN",
        ] {
            assert!(read_amount(bad).is_err(), "{bad}: {:?}", read_amount(bad));
        }
    }

    #[test]
    fn the_file_decides_what_1_234_means() {
        let ambiguous = read_amount("1,234").unwrap();
        assert_eq!(
            ambiguous,
            RawAmount::Ambiguous {
                separator: DecimalMark::Comma,
                decimal: 1.234,
                grouped: 1234.0
            }
        );
        let mut evidence = AmountEvidence::default();
        evidence.observe(&ambiguous, 2, "1,234");
        assert_eq!(evidence.decide(b','), Ok(DecimalMark::Point));
        assert_eq!(evidence.decide(b';'), Ok(DecimalMark::Comma));
        assert!(
            evidence
                .guess_note(DecimalMark::Comma)
                .unwrap()
                .contains("'1,234' (line 2)")
        );
        evidence.observe(&read_amount("29,33").unwrap(), 3, "29,33");
        assert_eq!(evidence.decide(b','), Ok(DecimalMark::Comma));
        assert_eq!(evidence.guess_note(DecimalMark::Comma), None);
        assert_eq!(resolve_amount(ambiguous, DecimalMark::Comma), 1.234);
        assert_eq!(resolve_amount(ambiguous, DecimalMark::Point), 1234.0);
        evidence.observe(&read_amount("$5.00").unwrap(), 4, "$5.00");
        let error = evidence.decide(b',').unwrap_err().to_string();
        assert!(
            error.contains("line 4: '$5.00'") && error.contains("line 3: '29,33'"),
            "{error}"
        );
    }
}
