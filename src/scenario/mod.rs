//! Scenario files: reading (TOML or JSON), validation into a typed [`Scenario`], and the
//! diagnostics a user sees when a file is wrong.
//!
//! The flow is one way (STYLE.md §1): text → spanned document tree → validated [`Scenario`].
//! Validation collects every problem, each with file, line:column and key path, rather than
//! stopping at the first.

mod document;
mod error;
mod types;
mod validate;

pub use error::{Diagnostic, ScenarioError};
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
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::io(&display, &e))?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    parse_str(&text, &display, stem, Format::from_path(path))
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
