//! Reading a transaction log as companies export it, and summarizing it per customer.
//!
//! What real exports look like: a header row; comma, semicolon or tab between fields (sniffed
//! from the header); quoted fields; ISO (2024-03-31) or compact (20240331) dates, possibly with
//! a time after them; blank lines; several orders of one customer on one day. Orders of one
//! customer on one day are one transaction day with the amounts summed, because BG/NBD counts
//! purchase occasions (SPEC §14: "repeat transactions are the distinct transaction days after
//! the first"). A row that cannot be read is not dropped silently: it is kept in
//! [`TransactionLog::bad_rows`] with its line number and reason, for the caller to report.
//!
//! Dates become day numbers by Howard Hinnant's `days_from_civil` algorithm
//! (<https://howardhinnant.github.io/date_algorithms.html>), so no calendar crate is needed.

use std::collections::HashMap;

use super::FitError;
use super::formats::{
    AmountEvidence, DateEvidence, DateFormat, RawAmount, RawDate, read_amount, read_date,
    resolve_amount, resolve_date,
};

/// How to read the log: column names (None means "look for a usual name", see
/// [`CUSTOMER_NAMES`] and friends) and the date format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    pub customer: Option<String>,
    pub date: Option<String>,
    pub amount: Option<String>,
    pub date_format: DateFormat,
}

/// Header names tried for the customer column when none is given, in this order. Headers are
/// compared by [`header_key`]: case, spaces, `_`, `-` and `.` do not count, so `Customer ID`,
/// `customer_id` and `CustomerID` are one name.
pub const CUSTOMER_NAMES: [&str; 14] = [
    "customer_id",
    "customer",
    "customer_number",
    "customer_no",
    "client_id",
    "client",
    "cust_id",
    "user_id",
    "account_id",
    "member_id",
    "buyer_id",
    "shopper_id",
    "email",
    "id",
];
/// Header names tried for the date column.
pub const DATE_NAMES: [&str; 12] = [
    "date",
    "order_date",
    "transaction_date",
    "invoice_date",
    "purchase_date",
    "sale_date",
    "payment_date",
    "order_datetime",
    "order_time",
    "created_at",
    "timestamp",
    "datetime",
];
/// Header names tried for the amount column: order totals before unit prices, which a log with
/// quantities would get wrong.
pub const AMOUNT_NAMES: [&str; 19] = [
    "amount",
    "order_total",
    "order_amount",
    "order_value",
    "total",
    "total_amount",
    "grand_total",
    "revenue",
    "sales",
    "sales_amount",
    "net_sales",
    "value",
    "spend",
    "amount_paid",
    "payment",
    "subtotal",
    "total_price",
    "line_total",
    "price",
];

/// A header name as compared: lower case without spaces, `_`, `-` or `.`.
pub fn header_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A row that could not be read, with its 1-based line in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    pub line: u64,
    pub message: String,
}

/// One customer's purchases on one day, amounts summed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransactionDay {
    pub customer: u32,
    /// Days since 1970-01-01.
    pub day: i64,
    pub amount: f64,
}

/// A transaction log: transaction days sorted by customer then day.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionLog {
    pub delimiter: u8,
    /// The column names used, in the order customer, date, amount.
    pub columns: [String; 3],
    /// Customer identifiers by index.
    pub customers: Vec<String>,
    pub days: Vec<TransactionDay>,
    /// Rows read successfully (before merging orders of the same day).
    pub rows: usize,
    pub bad_rows: Vec<BadRow>,
    /// How the file was read where it had to be decided (the day/month order of its dates, a
    /// guessed decimal mark), for the caller to tell the user.
    pub notes: Vec<String>,
}

impl TransactionLog {
    /// The last day on which anyone bought.
    pub fn last_day(&self) -> Option<i64> {
        self.days.iter().map(|d| d.day).max()
    }
}

/// The field separator: whichever of comma, semicolon and tab occurs most often outside
/// quotes in the first non-blank line; comma when none does.
pub fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(d, _)| *d == byte) {
            entry.1 += 1;
        }
    }
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

/// Day number (days since 1970-01-01) of a proleptic Gregorian date (Hinnant's
/// `days_from_civil`). Month 1..=12, day 1..=31; no range check.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (Hinnant's `civil_from_days`), as (year, month, day).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A day number as an ISO date, e.g. "1997-09-30".
pub fn format_day(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Parses an ISO (2024-03-31) or compact (20240331) date, optionally followed by a time
/// ("2024-03-31 14:05", "2024-03-31T14:05:00Z"), into a day number. None when it is not a
/// valid calendar date.
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = text.split([' ', 'T']).next().unwrap_or(text);
    let (year, month, day) = match date.len() {
        10 if date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-' => {
            (&date[0..4], &date[5..7], &date[8..10])
        }
        8 if date.bytes().all(|b| b.is_ascii_digit()) => (&date[0..4], &date[4..6], &date[6..8]),
        _ => return None,
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let (year, month, day): (i64, u32, u32) =
        (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    super::formats::civil_day(year, month, day)
}

/// Finds a column by its given name (exactly, ignoring case and surrounding spaces, else by
/// [`header_key`]), or else by the first of `usual` names present; the error is what is
/// missing, for [`find_columns`] to report with the others.
fn find_column(
    header: &csv::StringRecord,
    given: Option<&str>,
    usual: &[&str],
    what: &str,
    flag: &str,
) -> Result<usize, String> {
    let by_key = |name: &str| {
        let key = header_key(name);
        header.iter().position(|h| header_key(h) == key)
    };
    let found = match given {
        Some(name) => header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
            .or_else(|| by_key(name)),
        None => usual.iter().find_map(|name| by_key(name)),
    };
    found.ok_or_else(|| match given {
        Some(name) => format!("no {what} column named '{name}'"),
        None => {
            let shown = usual.len().min(5);
            let more = if usual.len() > shown { ", …" } else { "" };
            format!(
                "no {what} column (looked for {}{more}); name it with {flag}",
                usual[..shown].join(", ")
            )
        }
    })
}

/// The customer, date and amount columns, every missing one reported in one error.
fn find_columns(
    header: &csv::StringRecord,
    columns: &Columns,
    delimiter: u8,
) -> Result<[usize; 3], FitError> {
    let found = [
        find_column(
            header,
            columns.customer.as_deref(),
            &CUSTOMER_NAMES,
            "customer",
            "--customer-col",
        ),
        find_column(
            header,
            columns.date.as_deref(),
            &DATE_NAMES,
            "date",
            "--date-col",
        ),
        find_column(
            header,
            columns.amount.as_deref(),
            &AMOUNT_NAMES,
            "amount",
            "--amount-col",
        ),
    ];
    let missing: Vec<&str> = found
        .iter()
        .filter_map(|f| f.as_ref().err().map(String::as_str))
        .collect();
    if missing.is_empty() {
        return Ok(found.map(|f| f.unwrap_or_default()));
    }
    let columns: Vec<String> = header.iter().map(|h| format!("'{h}'")).collect();
    let mut message = format!(
        "line 1: {}; the header split at '{}' has the columns {}",
        missing.join("; "),
        delimiter_name(delimiter),
        columns.join(", ")
    );
    if header.len() == 1 {
        message.push_str(
            "; only one column was found, so the file may use another separator \
             (comma, semicolon and tab are recognized)",
        );
    }
    Err(FitError::MissingColumn(message))
}

/// Line numbers from byte offsets. The csv crate's own line count misses Windows line ends
/// (CR LF), which many exports have, and blank lines, so lines are counted here: the number of '\n' before the
/// offset, plus one. Offsets must be asked for in increasing order (as records come).
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record starting at byte `offset`. The csv crate reports the
    /// start of a record before any blank lines it skipped, so line ends right at `offset`
    /// are stepped over first.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while offset < self.bytes.len() && matches!(self.bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self.bytes[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.offset = offset;
        self.line
    }
}

/// How a delimiter is shown in messages.
pub fn delimiter_name(delimiter: u8) -> &'static str {
    match delimiter {
        b';' => ";",
        b'\t' => "tab",
        _ => ",",
    }
}

/// The text without its byte-order mark, the sniffed delimiter, the reader and the header row.
pub(crate) type OpenedCsv<'a> = (&'a str, u8, csv::Reader<&'a [u8]>, csv::StringRecord);

/// Opens an exported CSV the way both readers need it: a UTF-8 byte-order mark dropped, the
/// delimiter sniffed (comma, semicolon or tab), rows of any length, fields trimmed; returns the
/// text without the mark, the delimiter, the reader and its header row.
pub(crate) fn open_csv(text: &str) -> Result<OpenedCsv<'_>, FitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FitError::Empty);
    }
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| FitError::Line {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    Ok((text, delimiter, reader, header))
}

/// The largest amount one row may hold. Beyond it an amount is a typing or export error (1e300
/// in a log once failed the Gamma-Gamma fit with no row named, issue 15), and sums of up to 10⁹
/// such rows stay far from overflow, so every later sum and likelihood stays finite.
pub const MAX_AMOUNT: f64 = 1e15;

/// Reads a transaction log from CSV text.
///
/// Fatal errors: an empty file, a missing column, no readable row at all (the message lists
/// the first bad rows), an amount beyond [`MAX_AMOUNT`] (named by line and column). Rows with
/// a bad date, a non-numeric amount, a missing customer or the wrong number of fields are
/// collected in `bad_rows` with their line numbers.
pub fn read_transactions(text: &str, columns: &Columns) -> Result<TransactionLog, FitError> {
    let (text, delimiter, mut reader, header) = open_csv(text)?;
    let [customer_column, date_column, amount_column] = find_columns(&header, columns, delimiter)?;
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut customers: Vec<String> = Vec::new();
    let mut pending: Vec<PendingRow> = Vec::new();
    let mut dates = DateEvidence::default();
    let mut amounts = AmountEvidence::default();
    let mut bad_rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    loop {
        let start = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let byte = error.position().map_or(start, |p| p.byte());
                bad_rows.push(BadRow {
                    line: lines.line_at(byte),
                    message: error.to_string(),
                });
                continue;
            }
        }
        let line = lines.line_at(record.position().map_or(start, |p| p.byte()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        match read_row(
            &record,
            header.len(),
            [customer_column, date_column, amount_column],
            delimiter,
            &columns.date_format,
        ) {
            Ok((customer, date, amount)) => {
                dates.observe(&date, line, record.get(date_column).unwrap_or(""));
                amounts.observe(&amount, line, record.get(amount_column).unwrap_or(""));
                let id = match index.get(customer) {
                    Some(&id) => id,
                    None => {
                        let id = u32::try_from(customers.len()).map_err(|_| {
                            FitError::NotEnoughData("more than 4 billion customers".to_string())
                        })?;
                        index.insert(customer.to_string(), id);
                        customers.push(customer.to_string());
                        id
                    }
                };
                pending.push(PendingRow {
                    customer: id,
                    date,
                    amount,
                    line,
                });
            }
            Err(message) => bad_rows.push(BadRow { line, message }),
        }
    }
    let mut notes = Vec::new();
    let order = dates.decide()?;
    if let Some(order) = order {
        notes.push(dates.explain(order));
    }
    let mark = amounts.decide(delimiter)?;
    notes.extend(amounts.guess_note(mark));
    let mut rows: Vec<TransactionDay> = Vec::with_capacity(pending.len());
    for row in pending {
        let amount = resolve_amount(row.amount, mark);
        if !amount.is_finite() || amount.abs() > MAX_AMOUNT {
            return Err(FitError::Line {
                line: row.line,
                message: format!(
                    "column {} ('{}'): the amount {amount:e} is beyond ±{MAX_AMOUNT:e}, more than \
                     any one order is worth; correct or remove the row",
                    amount_column + 1,
                    header.get(amount_column).unwrap_or("")
                ),
            });
        }
        match resolve_date(row.date, order) {
            Some(day) => rows.push(TransactionDay {
                customer: row.customer,
                day,
                amount,
            }),
            None => bad_rows.push(BadRow {
                line: row.line,
                message: format!(
                    "'{}' is not a date in the file's {} order",
                    record_date_text(row.date),
                    match order {
                        Some(super::formats::DateOrder::MonthFirst) => "month/day/year",
                        _ => "day/month/year",
                    }
                ),
            }),
        }
    }
    bad_rows.sort_by_key(|b| b.line);
    if rows.is_empty() {
        let examples: Vec<String> = bad_rows
            .iter()
            .take(3)
            .map(|b| format!("line {}: {}", b.line, b.message))
            .collect();
        return Err(if examples.is_empty() {
            FitError::NotEnoughData("the file has a header but no transactions".to_string())
        } else {
            FitError::NotEnoughData(format!(
                "no row could be read ({} bad row(s)); {}",
                bad_rows.len(),
                examples.join("; ")
            ))
        });
    }
    let row_count = rows.len();
    rows.sort_unstable_by_key(|r| (r.customer, r.day));
    let mut days: Vec<TransactionDay> = Vec::with_capacity(rows.len());
    for row in rows {
        match days.last_mut() {
            Some(last) if last.customer == row.customer && last.day == row.day => {
                last.amount += row.amount;
            }
            _ => days.push(row),
        }
    }
    let name = |i: usize| header.get(i).unwrap_or("").to_string();
    Ok(TransactionLog {
        delimiter,
        columns: [
            name(customer_column),
            name(date_column),
            name(amount_column),
        ],
        customers,
        days,
        rows: row_count,
        bad_rows,
        notes,
    })
}

/// A row read before the file's date order and decimal mark are known.
struct PendingRow {
    customer: u32,
    date: RawDate,
    amount: RawAmount,
    line: u64,
}

/// A raw date as it was written (up to leading zeros), for a message.
fn record_date_text(date: RawDate) -> String {
    match date {
        RawDate::Day(day) => format_day(day),
        RawDate::Either {
            first,
            second,
            year,
            separator,
        } => format!("{first:02}{separator}{second:02}{separator}{year}"),
    }
}

/// One row's customer, day and amount, or why it cannot be read.
fn read_row<'r>(
    record: &'r csv::StringRecord,
    expected_fields: usize,
    [customer, date, amount]: [usize; 3],
    delimiter: u8,
    date_format: &DateFormat,
) -> Result<(&'r str, RawDate, RawAmount), String> {
    if record.len() != expected_fields {
        let mut message = format!(
            "expected {expected_fields} fields separated by '{}', found {}",
            delimiter_name(delimiter),
            record.len()
        );
        let joined = record.iter().collect::<Vec<_>>().join("");
        if let Some(other) = [b',', b';', b'\t']
            .into_iter()
            .find(|&d| d != delimiter && joined.as_bytes().contains(&d))
        {
            message.push_str(&format!(
                " (the row contains '{}': is the file separated by it?)",
                delimiter_name(other)
            ));
        }
        return Err(message);
    }
    let field = |i: usize| record.get(i).unwrap_or("");
    let customer_id = field(customer);
    if customer_id.is_empty() {
        return Err("the customer is empty".to_string());
    }
    let day = read_date(field(date), date_format)?;
    let value = read_amount(field(amount))?;
    Ok((customer_id, day, value))
}

/// The time unit that periods and the BG/NBD clock are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Day,
    Week,
    Month,
}

impl TimeUnit {
    /// Length in days (a month is 365.25/12 days).
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Day => 1.0,
            TimeUnit::Week => 7.0,
            TimeUnit::Month => 365.25 / 12.0,
        }
    }

    /// Periods per year, for the scenario's `[time]`.
    pub fn periods_per_year(self) -> u32 {
        match self {
            TimeUnit::Day => 365,
            TimeUnit::Week => 52,
            TimeUnit::Month => 12,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
        }
    }
}

/// One customer's calibration-period summary (Fader, Hardie & Lee 2005a notation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    /// The customer's index in [`TransactionLog::customers`], where the id is.
    pub customer: u32,
    /// x: repeat transaction days in the calibration period.
    pub frequency: u32,
    /// t_x: time of the last transaction day since the first, in time units.
    pub recency: f64,
    /// T: time from the first transaction day to the calibration end, in time units.
    pub age: f64,
    /// Spend on the first transaction day.
    pub first_amount: f64,
    /// Spend on the repeat transaction days of the calibration period.
    pub repeat_amount: f64,
    /// Transaction days in the holdout period (after the calibration end, up to the holdout
    /// end); 0 without a holdout.
    pub holdout_purchases: u32,
}

impl CustomerSummary {
    /// Average value of the repeat transaction days (Gamma-Gamma's m_x); None without repeats.
    pub fn repeat_average(&self) -> Option<f64> {
        (self.frequency > 0).then(|| self.repeat_amount / f64::from(self.frequency))
    }
}

/// Per-customer summaries of the customers whose first purchase is on or before the
/// calibration end; `later_customers` counts those who first bought after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Summaries {
    pub customers: Vec<CustomerSummary>,
    pub later_customers: usize,
}

/// Summarizes the log for a calibration period ending on `calibration_end` (a day number,
/// inclusive) and an optional holdout period (calibration_end, holdout_end].
pub fn summarize(
    log: &TransactionLog,
    calibration_end: i64,
    unit: TimeUnit,
    holdout_end: Option<i64>,
) -> Summaries {
    let unit_days = unit.days();
    let mut customers = Vec::new();
    let mut later_customers = 0;
    for days in log.days.chunk_by(|a, b| a.customer == b.customer) {
        let first = days[0];
        if first.day > calibration_end {
            later_customers += 1;
            continue;
        }
        let mut summary = CustomerSummary {
            customer: first.customer,
            frequency: 0,
            recency: 0.0,
            age: (calibration_end - first.day) as f64 / unit_days,
            first_amount: first.amount,
            repeat_amount: 0.0,
            holdout_purchases: 0,
        };
        for day in &days[1..] {
            if day.day <= calibration_end {
                summary.frequency += 1;
                summary.recency = (day.day - first.day) as f64 / unit_days;
                summary.repeat_amount += day.amount;
            } else if holdout_end.is_some_and(|end| day.day <= end) {
                summary.holdout_purchases += 1;
            }
        }
        customers.push(summary);
    }
    Summaries {
        customers,
        later_customers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<TransactionLog, FitError> {
        read_transactions(text, &Columns::default())
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(
            days_from_civil(1997, 9, 30) - days_from_civil(1997, 1, 1),
            272
        );
        for days in [-800_000, -1, 0, 59, 10_957, 19_813, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(format_day(days_from_civil(2024, 2, 29)), "2024-02-29");
    }

    #[test]
    fn parses_iso_and_compact_dates() {
        let day = days_from_civil(2024, 3, 31);
        assert_eq!(parse_date("2024-03-31"), Some(day));
        assert_eq!(parse_date("20240331"), Some(day));
        assert_eq!(parse_date("2024-03-31 14:05:00"), Some(day));
        assert_eq!(parse_date("2024-03-31T14:05:00Z"), Some(day));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("31/03/2024"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn sniffs_the_delimiter_outside_quotes() {
        assert_eq!(sniff_delimiter("a,b,c\n"), b',');
        assert_eq!(sniff_delimiter("\n\"a,b\";c;d\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter("single\n"), b',');
    }

    #[test]
    fn merges_orders_of_one_day_and_skips_blank_lines() {
        let text = "customer_id;date;amount\n\n\"a\";2024-01-02;10,5\na;20240102;4,5\n\
                    b;2024-01-05;3\n\na;2024-01-09;1\n";
        let log = read(text).unwrap();
        assert_eq!(log.delimiter, b';');
        assert_eq!(log.customers, ["a", "b"]);
        assert_eq!(log.rows, 4);
        assert!(log.bad_rows.is_empty(), "{:?}", log.bad_rows);
        let a: Vec<(i64, f64)> = log
            .days
            .iter()
            .filter(|d| d.customer == 0)
            .map(|d| (d.day, d.amount))
            .collect();
        let jan2 = days_from_civil(2024, 1, 2);
        assert_eq!(a, [(jan2, 15.0), (jan2 + 7, 1.0)]);
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let text = "Customer,Order Date,Sales\nc1,2024-01-01,10\nc1,2024-01-32,5\n\
                    c2,2024-01-03,ten\nc3,2024-01-04\n,2024-01-04,1\n";
        let columns = Columns {
            date: Some("order date".to_string()),
            ..Columns::default()
        };
        let log = read_transactions(text, &columns).unwrap();
        assert_eq!(log.columns, ["Customer", "Order Date", "Sales"]);
        let bad: Vec<(u64, &str)> = log
            .bad_rows
            .iter()
            .map(|b| (b.line, b.message.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (
                    3,
                    "'2024-01-32' is not a date (expected 2024-03-31, 20240331, 31/03/2024, \
                     03/31/2024 or 31.03.2024; --date-format reads others)"
                ),
                (4, "the amount 'ten' is not a number"),
                (5, "expected 3 fields separated by ',', found 2"),
                (6, "the customer is empty"),
            ]
        );
        assert_eq!(log.days.len(), 1);
    }

    #[test]
    fn english_header_names_are_found_whatever_their_spelling() {
        let log = read(
            "Order ID,Customer ID,Order Date,Unit Price,Order Total\n\
                        1,C-1,2024-01-02,3.00,12.50\n",
        )
        .unwrap();
        assert_eq!(log.columns, ["Customer ID", "Order Date", "Order Total"]);
        assert_eq!(log.days[0].amount, 12.5);
        let log = read("CustomerID;InvoiceDate;Revenue\nc;02.01.2024;1.234,50\nc;13.01.2024;5\n")
            .unwrap();
        assert_eq!(log.columns, ["CustomerID", "InvoiceDate", "Revenue"]);
        assert_eq!(log.days[0].day, days_from_civil(2024, 1, 2));
        assert_eq!(log.days[0].amount, 1234.5);
        assert_eq!(
            log.notes,
            ["dates read day first (day/month/year), as line 3 ('13.01.2024') shows"]
        );
        let given = Columns {
            amount: Some("unit price".to_string()),
            ..Columns::default()
        };
        let log =
            read_transactions("customer id,date,Unit_Price\na,2024-01-01,3\n", &given).unwrap();
        assert_eq!(log.columns[2], "Unit_Price");
    }

    #[test]
    fn a_date_impossible_in_the_files_order_is_a_bad_row() {
        let log =
            read("customer,date,amount\na,31.01.2024,1\na,30.02.2024,2\nb,02.03.2024,3\n").unwrap();
        assert_eq!(
            log.bad_rows,
            [BadRow {
                line: 3,
                message: "'30.02.2024' is not a date in the file's day/month/year order"
                    .to_string()
            }]
        );
        assert_eq!(log.days[1].day, days_from_civil(2024, 3, 2));
    }

    #[test]
    fn line_numbers_count_windows_line_ends() {
        let text = "customer_id,date,amount\r\na,2024-01-01,1\r\n\r\na,2024-01-02,x\r\n";
        let log = read(text).unwrap();
        assert_eq!(log.bad_rows[0].line, 4, "{:?}", log.bad_rows);
    }

    #[test]
    fn fatal_errors_explain_themselves() {
        assert_eq!(read(""), Err(FitError::Empty));
        assert_eq!(
            read("customer_id,when,amount\n1,2024-01-01,3\n")
                .unwrap_err()
                .to_string(),
            "line 1: no date column (looked for date, order_date, transaction_date, \
             invoice_date, purchase_date, …); name it with --date-col; the header split at ',' \
             has the columns 'customer_id', 'when', 'amount'"
        );
        assert_eq!(
            read("who,when,how much\n1,2024-01-01,3\n")
                .unwrap_err()
                .to_string(),
            "line 1: no customer column (looked for customer_id, customer, customer_number, \
             customer_no, client_id, …); name it with --customer-col; no date column (looked \
             for date, order_date, transaction_date, invoice_date, purchase_date, …); name it \
             with --date-col; no amount column (looked for amount, order_total, order_amount, \
             order_value, total, …); name it with --amount-col; the header split at ',' has the \
             columns 'who', 'when', 'how much'",
            "every missing column at once"
        );
        assert_eq!(
            read("customer_id,date,amount\n1;2024-01-01;3\n2;2024-01-02;4\n")
                .unwrap_err()
                .to_string(),
            "no row could be read (2 bad row(s)); line 2: expected 3 fields separated by ',', \
             found 1 (the row contains ';': is the file separated by it?); line 3: expected 3 \
             fields separated by ',', found 1 (the row contains ';': is the file separated by \
             it?)"
        );
        let one_column = read("customer_id|date|amount\n1|2024-01-01|3\n").unwrap_err();
        assert!(
            one_column
                .to_string()
                .contains("only one column was found, so the file may use another separator"),
            "{one_column}"
        );
    }

    #[test]
    fn summaries_follow_fader_hardie_lee() {
        let text = "customer_id,date,amount\na,1997-01-01,10\na,1997-01-08,20\n\
                    a,1997-01-08,5\na,1997-01-22,30\na,1997-02-05,7\nb,1997-01-15,12\n\
                    c,1997-02-01,3\n";
        let log = read(text).unwrap();
        let end = days_from_civil(1997, 1, 29);
        let holdout = days_from_civil(1997, 2, 26);
        let summaries = summarize(&log, end, TimeUnit::Week, Some(holdout));
        assert_eq!(summaries.later_customers, 1);
        let a = summaries.customers[0];
        assert_eq!(a.frequency, 2);
        assert_eq!(a.recency, 3.0);
        assert_eq!(a.age, 4.0);
        assert_eq!(a.first_amount, 10.0);
        assert_eq!(a.repeat_average(), Some(27.5));
        assert_eq!(a.holdout_purchases, 1);
        let b = summaries.customers[1];
        assert_eq!((b.frequency, b.recency, b.age), (0, 0.0, 2.0));
        assert_eq!(b.repeat_average(), None);
    }
}
