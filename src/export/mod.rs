//! The export layer: turns the library's result documents into the text, JSON and CSV a
//! reader gets (issue 14: one presentation layer). Everything here is a small function over
//! plain data that returns a `String` or bytes (STYLE.md §7); the command line only decides
//! where they go. Numbers are formatted by [`crate::format`].
//!
//! - [`text`]: the text report of each command
//! - [`files`]: the machine-readable files of `ceq simulate` (summary.json, periods.csv, runs.csv)

pub mod files;
pub mod text;

use serde::Serialize;

/// A result could not be turned into the bytes of a file (a value serde refuses, such as a
/// map with non-string keys; never a number, which the writers print as they are).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The JSON writer refused the value.
    #[error("cannot serialize {what} as JSON")]
    Json {
        /// What was being written (`the summary`, `the result`).
        what: &'static str,
        /// The writer's error.
        #[source]
        source: serde_json::Error,
    },
    /// The CSV writer refused a row.
    #[error("cannot write {file}")]
    Csv {
        /// The file being written (`periods.csv`).
        file: &'static str,
        /// The writer's error.
        #[source]
        source: csv::Error,
    },
}

impl ExportError {
    /// The JSON writer refused `what`.
    pub fn json(what: &'static str, source: serde_json::Error) -> Self {
        ExportError::Json { what, source }
    }
}

/// A result document as pretty JSON with a final newline ([`crate::format::json_bytes`]): the
/// bytes `--json` prints and `<command>.json` holds.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ExportError> {
    crate::format::json_bytes(value).map_err(|e| ExportError::json("the result", e))
}

/// The rows as CSV bytes ([`crate::format::csv_bytes`]), a failure naming `file`.
pub fn to_csv<T: Serialize>(rows: &[T], file: &'static str) -> Result<Vec<u8>, ExportError> {
    crate::format::csv_bytes(rows).map_err(|source| ExportError::Csv { file, source })
}
