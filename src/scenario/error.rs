//! Diagnostics for scenario files: every problem with file, line:column and key path.
//!
//! A [`Diagnostic`] prints on one line (`file:line:col: path: message`) for logs and machine
//! use; a [`ScenarioError`] prints every problem like rustc does, with the offending source
//! line and a caret under the key, because a strategist fixing a file wants to see the spot.

use std::fmt;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line and column of the offending key or value (0 when unknown, e.g. I/O).
    pub line: usize,
    pub column: usize,
    /// Dotted key path, e.g. `cohorts[2].retention.mean`; empty for whole-file problems.
    pub key_path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// The text of line `line` (empty when unknown), shown under the message with a caret.
    pub source_line: String,
    /// How many characters the caret underlines, starting at `column` (at least 1).
    pub caret_width: usize,
}

impl Diagnostic {
    /// A problem with no source position (I/O, whole-file problems).
    pub fn whole_file(file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: 0,
            column: 0,
            key_path: String::new(),
            message: message.into(),
            source_line: String::new(),
            caret_width: 1,
        }
    }

    /// Renders the problem over several lines, rustc style:
    ///
    /// ```text
    /// error: unknown key `retension`; did you mean `retention`?
    ///  --> scenario.toml:7:1
    ///   |
    /// 7 | retension = { rate = 0.9 }
    ///   | ^^^^^^^^^
    ///   = key: cohorts[0].retension
    /// ```
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        if self.line == 0 {
            out.push_str(&format!(" --> {}", self.file));
            if !self.key_path.is_empty() {
                out.push_str(&format!("\n  = key: {}", self.key_path));
            }
            return out;
        }
        let gutter = " ".repeat(self.line.to_string().len());
        out.push_str(&format!(
            "{gutter}--> {}:{}:{}\n",
            self.file, self.line, self.column
        ));
        out.push_str(&format!("{gutter} |\n"));
        out.push_str(&format!("{} | {}\n", self.line, self.source_line));
        let line_chars = self.source_line.chars().count();
        let available = (line_chars + 1).saturating_sub(self.column).max(1);
        // Keep tabs so the caret lines up with the source under any tab width.
        let pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let carets = "^".repeat(self.caret_width.clamp(1, available));
        out.push_str(&format!("{gutter} | {pad}{carets}"));
        if !self.key_path.is_empty() {
            out.push_str(&format!("\n{gutter} = key: {}", self.key_path));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key_path.is_empty() {
            write!(f, ": {}", self.key_path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// All the problems found in one scenario file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    pub fn io(file: &str, error: &std::io::Error) -> Self {
        ScenarioError {
            file: file.to_string(),
            diagnostics: vec![Diagnostic::whole_file(
                file,
                format!("cannot read the file: {error}"),
            )],
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                write!(f, "\n\n")?;
            }
            write!(f, "{}", d.render())?;
        }
        if n > 1 {
            write!(f, "\n\n{n} problems in {}", self.file)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Diagnostic {
        Diagnostic {
            file: "s.toml".into(),
            line: 7,
            column: 1,
            key_path: "cohorts[0].retension".into(),
            message: "unknown key `retension`; did you mean `retention`?".into(),
            source_line: "retension = { rate = 0.9 }".into(),
            caret_width: 9,
        }
    }

    #[test]
    fn one_line_display() {
        assert_eq!(
            sample().to_string(),
            "s.toml:7:1: cohorts[0].retension: unknown key `retension`; did you mean `retention`?"
        );
    }

    #[test]
    fn rustc_style_rendering() {
        let expected = "error: unknown key `retension`; did you mean `retention`?
 --> s.toml:7:1
  |
7 | retension = { rate = 0.9 }
  | ^^^^^^^^^
  = key: cohorts[0].retension";
        assert_eq!(sample().render(), expected);
    }

    #[test]
    fn caret_is_clipped_to_the_line() {
        let mut d = sample();
        d.column = 25;
        d.caret_width = 40;
        assert!(d.render().contains("\n  |                         ^^\n"));
    }

    #[test]
    fn io_errors_have_no_position() {
        let e = ScenarioError::io("x.toml", &std::io::Error::other("gone"));
        assert_eq!(
            e.to_string(),
            "error: cannot read the file: gone\n --> x.toml"
        );
    }
}
