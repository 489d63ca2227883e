//! A small CSV table with line numbers, for the inputs that are plain tables of numbers: a
//! spend history (`ceq fit response`), a retention experiment (`ceq fit retention-test`) and
//! a file of parameter draws (`[uncertainty] draws`).
//!
//! Why one reader: all three need the same things a firm's export throws at them (a byte-order
//! mark, `,` `;` or tab, Windows line ends, blank lines) and the same error text, which names
//! the line, the column and what was expected, so a user can find the cell.

use super::FitError;
use super::transactions::{LineCounter, open_csv};

/// A header and the non-blank rows, each with its 1-based line in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvTable {
    pub header: Vec<String>,
    pub rows: Vec<CsvRow>,
}

/// One data row: its line and its cells, trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    pub line: u64,
    pub cells: Vec<String>,
}

impl CsvTable {
    /// Reads `text`: a header row, then data rows with as many cells as the header (blank
    /// lines are skipped). An empty file or a row of the wrong length is an error naming it.
    pub fn read(text: &str) -> Result<CsvTable, FitError> {
        let (text, _, mut reader, header) = open_csv(text)?;
        let header: Vec<String> = header.iter().map(str::to_string).collect();
        let mut lines = LineCounter::new(text);
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| FitError::Line {
                line: lines.line_at(e.position().map_or(0, |p| p.byte())),
                message: e.to_string(),
            })?;
            let line = lines.line_at(record.position().map_or(0, |p| p.byte()));
            if record.iter().all(str::is_empty) {
                continue;
            }
            if record.len() != header.len() {
                return Err(FitError::Line {
                    line,
                    message: format!(
                        "{} cell(s), but the header has {} columns; every row needs one value \
                         per column",
                        record.len(),
                        header.len()
                    ),
                });
            }
            rows.push(CsvRow {
                line,
                cells: record.iter().map(str::to_string).collect(),
            });
        }
        if rows.is_empty() {
            return Err(FitError::NotEnoughData(
                "the file has a header but no data rows".to_string(),
            ));
        }
        Ok(CsvTable { header, rows })
    }

    /// The index of the column named `name` (compared without case).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }
}

impl CsvRow {
    /// The cell of column `column` (named `name` in messages) as a finite number accepted by
    /// `valid`, which `expected` describes ("a spend ≥ 0").
    pub fn number(
        &self,
        column: usize,
        name: &str,
        expected: &str,
        valid: impl Fn(f64) -> bool,
    ) -> Result<f64, FitError> {
        let cell = self.cells.get(column).map_or("", String::as_str);
        cell.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && valid(*v))
            .ok_or_else(|| FitError::Line {
                line: self.line,
                message: format!(
                    "column {} (`{name}`): '{cell}' is not {expected}",
                    column + 1
                ),
            })
    }

    /// A count: a whole number ≥ 0.
    pub fn count(&self, column: usize, name: &str) -> Result<f64, FitError> {
        self.number(column, name, "a count (a whole number ≥ 0)", |v| {
            v >= 0.0 && v.fract() == 0.0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_lines_and_cells_are_checked() {
        let table = CsvTable::read("\u{feff}period;spend\r\n1;10\r\n\r\n2; x \r\n").unwrap();
        assert_eq!(table.header, ["period", "spend"]);
        assert_eq!(table.rows[1].line, 4);
        assert_eq!(table.column("SPEND"), Some(1));
        let error = table.rows[1]
            .number(1, "spend", "a spend ≥ 0", |v| v >= 0.0)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 4: column 2 (`spend`): 'x' is not a spend ≥ 0"
        );
        assert!(table.rows[0].count(1, "spend").is_ok());
    }

    #[test]
    fn short_rows_and_empty_tables_are_refused() {
        let error = CsvTable::read("a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: 1 cell(s), but the header has 2 columns; every row needs one value per \
             column"
        );
        assert!(matches!(
            CsvTable::read("a,b\n"),
            Err(FitError::NotEnoughData(_))
        ));
    }
}
