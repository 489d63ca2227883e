//! Scenario files: reading (TOML or JSON), validation into a typed [`Scenario`], and the
//! diagnostics a user sees when a file is wrong.
//!
//! The flow is one way (STYLE.md §1): text → spanned document tree → validated [`Scenario`].
//! Validation collects every problem, each with file, line:column and key path, rather than
//! stopping at the first.

mod access;
mod document;
mod edit;
mod error;
mod ids;
mod lever_map;
mod types;
mod validate;

pub use edit::InvalidValue;
pub use error::{Diagnostic, ScenarioError};
pub use ids::CohortId;
pub use lever_map::LeverMap;
pub use types::*;
pub use validate::{merge_histories, parse_history_csv};

use std::path::Path;

/// A JSON Schema (draft 2020-12) of the scenario format, for editors (`ceq schema`). It is
/// maintained by hand beside the validator; it checks keys, types, forms and ranges but not
/// cross-references, which only `ceq validate` checks.
pub const JSON_SCHEMA: &str = include_str!("schema.json");

/// The two file formats with the same structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// `.json` files are JSON; everything else is read as TOML.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let display = path.display().to_string();
    let text = read_bounded(path).map_err(|e| ScenarioError::io(&display, &e))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    parse_str(&text, &display, stem, Format::from_path(path))
}

/// The largest scenario file read (SPEC §12.3); a real scenario is a few kilobytes.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The largest data file that a scenario names (a `history` or `draws` CSV) or that `ceq fit`
/// reads (a transaction log, a spend history, a retention test), SPEC §12.3: about 60 million
/// rows of a transaction log, whose rows then take a few GB in memory.
pub const MAX_DATA_BYTES: u64 = 4 << 30;

/// The bytes of `path` if it is a regular file of at most `max` bytes. A device (`/dev/zero`),
/// a FIFO or a folder is refused before anything is read, and a file that grows while it is
/// read is refused at `max + 1` bytes, so no input is read until memory runs out.
pub fn read_regular_file(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a folder, a device or a pipe); name a file",
        ));
    }
    let too_large = |size: u64| {
        std::io::Error::other(format!(
            "the file is {size} bytes; the limit is {max} bytes"
        ))
    };
    if meta.len() > max {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The file's text if it is a regular file of at most [`MAX_SCENARIO_BYTES`]
/// ([`read_regular_file`]), without NUL bytes and in UTF-8 (a byte-order mark is dropped).
fn read_bounded(path: &Path) -> std::io::Result<String> {
    let bytes = read_regular_file(path, MAX_SCENARIO_BYTES)?;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = line_column(&bytes, at);
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "a NUL byte at line {line}, column {column} (byte {at}): this is not a text file"
            ),
        ));
    }
    // A UTF-8 byte-order mark (some Windows editors write one) is not part of the text.
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let (line, column) = line_column(e.as_bytes(), valid);
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not valid UTF-8 at line {line}, column {column} (byte {valid}); save the file as UTF-8"),
        )
    })
}

/// 1-based line and byte column of byte `at`.
fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

/// Parses and validates scenario text. `file` names the source in diagnostics; `default_name`
/// is the scenario name when the file has no top-level `name`.
pub fn parse_str(
    text: &str,
    file: &str,
    default_name: &str,
    format: Format,
) -> Result<Scenario, ScenarioError> {
    let root = document::parse(text, format).map_err(|syntax| {
        let (line, column, source) = document::line_col(text, syntax.span.start);
        let width = text
            .get(syntax.span.clone())
            .map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
        let mut diagnostic = Diagnostic::whole_file(file, syntax.message);
        diagnostic.line = line;
        diagnostic.column = column;
        diagnostic.source_line = source.to_string();
        diagnostic.caret_width = width.max(1);
        ScenarioError {
            file: file.to_string(),
            diagnostics: vec![diagnostic],
        }
    })?;
    validate::validate(&root, file, text, default_name).map_err(|diagnostics| ScenarioError {
        file: file.to_string(),
        diagnostics,
    })
}
