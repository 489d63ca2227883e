//! One small spanned tree for both file formats.
//!
//! TOML and JSON scenarios have the same structure, so both are converted into [`Node`]s that
//! remember the byte span of every key and value. Validation then works on one shape and every
//! diagnostic can point at the exact key or value, whichever format the user wrote. Table
//! entries keep file order (TOML tables are re-sorted by position because the `toml` crate
//! stores them by key), which is also the order plans are listed in.

use super::Format;
use std::ops::Range;

/// Byte offsets `start..end` into the source text.
pub type Span = Range<usize>;

/// A value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// One `key = value` pair of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub node: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Entries in file order.
    Table(Vec<Entry>),
    Array(Vec<Node>),
    String(String),
    Integer(i64),
    /// May be non-finite: TOML accepts `nan` and `inf`; validation refuses them with a message.
    Float(f64),
    Bool(bool),
    /// JSON `null`, TOML date-times: values a scenario never uses, kept so the validator can
    /// say "expected a number, found …" rather than failing to read the file.
    Other(&'static str),
}

impl Value {
    /// "a table", "a string" … for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Table(_) => "a table",
            Value::Array(_) => "a list",
            Value::String(_) => "a string",
            Value::Integer(_) => "a whole number",
            Value::Float(_) => "a number",
            Value::Bool(_) => "true/false",
            Value::Other(kind) => kind,
        }
    }
}

/// A syntax error: what is wrong and where.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// Reads `text` in `format` into a spanned tree.
pub fn parse(text: &str, format: Format) -> Result<Node, SyntaxError> {
    match format {
        Format::Toml => parse_toml(text),
        Format::Json => parse_json(text),
    }
}

fn parse_toml(text: &str) -> Result<Node, SyntaxError> {
    use toml::de::DeTable;
    match DeTable::parse(text) {
        Ok(root) => {
            let span = 0..text.len();
            Ok(Node {
                span,
                value: toml_table(root.get_ref()),
            })
        }
        Err(error) => {
            let span = error
                .span()
                .or_else(|| deep_dotted_key(text))
                .unwrap_or(0..0);
            // The toml crate's messages may span several lines ("invalid table header\n
            // expected …"); one line reads better after `error:`.
            let message = error
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            Err(SyntaxError {
                span,
                message: format!("TOML syntax error: {message}"),
            })
        }
    }
}

/// Dotted keys with more parts than this are refused by the `toml` crate ("recursion limit",
/// `toml::de::parser::LIMIT` = 80 in toml 1.2).
const TOML_KEY_DEPTH: usize = 80;

/// Where the first dotted key of [`TOML_KEY_DEPTH`] parts or more starts (`a.b.c… = 1` or
/// `[a.b.c…]`). The `toml` crate reports its key-depth limit without a span, which would
/// point at line 1, column 1; this finds the key it refused. Strings and comments are skipped;
/// bare and quoted key parts are counted.
fn deep_dotted_key(text: &str) -> Option<Span> {
    let bytes = text.as_bytes();
    let is_key_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    // The start of the current run of dotted key parts and the dots it has so far, and
    // whether a dot has just been read (so the next part continues the run).
    let mut run: Option<(usize, usize)> = None;
    let mut after_dot = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let in_word = i > 0 && is_key_byte(bytes[i - 1]) && is_key_byte(b);
        let part_end = match b {
            b'"' | b'\'' => Some(
                text[i + 1..]
                    .find(b as char)
                    .map_or(bytes.len(), |e| i + 2 + e),
            ),
            _ if is_key_byte(b) => Some(i + 1),
            _ => None,
        };
        match (b, part_end) {
            (_, Some(end)) => {
                if !in_word && !after_dot {
                    run = Some((i, 0));
                }
                after_dot = false;
                i = end;
                continue;
            }
            (b'.', None) if run.is_some() && !after_dot => {
                if let Some((start, dots)) = run.as_mut() {
                    *dots += 1;
                    if *dots + 1 >= TOML_KEY_DEPTH {
                        return Some(*start..i + 1);
                    }
                }
                after_dot = true;
            }
            (b' ' | b'\t', None) => {}
            (b'#', None) => {
                i = text[i..].find('\n').map_or(bytes.len(), |e| i + e);
                run = None;
                after_dot = false;
                continue;
            }
            _ => {
                run = None;
                after_dot = false;
            }
        }
        i += 1;
    }
    None
}

fn toml_table(table: &toml::de::DeTable<'_>) -> Value {
    let mut entries: Vec<Entry> = table
        .iter()
        .map(|(key, value)| Entry {
            key: key.get_ref().to_string(),
            key_span: key.span(),
            node: toml_node(value),
        })
        .collect();
    entries.sort_by_key(|e| e.key_span.start);
    Value::Table(entries)
}

fn toml_node(value: &toml::Spanned<toml::de::DeValue<'_>>) -> Node {
    use toml::de::DeValue;
    let span = value.span();
    let value = match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Integer(n),
            // Beyond i64: keep the magnitude so range checks can say "too large".
            Err(_) => Value::Float(i.as_str().parse::<f64>().unwrap_or(f64::INFINITY)),
        },
        DeValue::Float(f) => Value::Float(f.as_str().parse::<f64>().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => Value::Other("a date-time"),
        DeValue::Array(items) => Value::Array(items.iter().map(toml_node).collect()),
        DeValue::Table(table) => toml_table(table),
    };
    Node { span, value }
}

fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
    // Plain JSON, plus comments (harmless and handy in hand-written scenarios).
    let options = ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
        let range = e.range();
        SyntaxError {
            span: range.start..range.end,
            message: format!("JSON syntax error: {}", e.kind()),
        }
    })?;
    match parsed.value {
        Some(value) => Ok(json_node(&value)),
        None => Err(SyntaxError {
            span: 0..0,
            message: "the file is empty; expected a JSON object".to_string(),
        }),
    }
}

fn json_node(value: &jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::{ObjectPropName, Value as J};
    let (span, value) = match value {
        J::StringLit(s) => (s.range, Value::String(s.value.to_string())),
        J::NumberLit(n) => (n.range, json_number(n.value)),
        J::BooleanLit(b) => (b.range, Value::Bool(b.value)),
        J::NullKeyword(n) => (n.range, Value::Other("null")),
        J::Array(a) => (
            a.range,
            Value::Array(a.elements.iter().map(json_node).collect()),
        ),
        J::Object(o) => {
            let entries = o
                .properties
                .iter()
                .map(|p| {
                    let (key, range) = match &p.name {
                        ObjectPropName::String(s) => (s.value.to_string(), s.range),
                        ObjectPropName::Word(w) => (w.value.to_string(), w.range),
                    };
                    Entry {
                        key,
                        key_span: range.start..range.end,
                        node: json_node(&p.value),
                    }
                })
                .collect();
            (o.range, Value::Table(entries))
        }
    };
    Node {
        span: span.start..span.end,
        value,
    }
}

/// JSON has one number type; integers written without a fraction or exponent become
/// [`Value::Integer`] so that whole-number checks read the same as for TOML.
fn json_number(text: &str) -> Value {
    let looks_integral = !text.contains(['.', 'e', 'E']);
    if looks_integral && let Ok(n) = text.parse::<i64>() {
        return Value::Integer(n);
    }
    Value::Float(text.parse::<f64>().unwrap_or(f64::NAN))
}

/// 1-based line and column (in characters) of byte offset `pos`, and the text of that line.
pub fn line_col(text: &str, pos: usize) -> (usize, usize, &str) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
    let line = text[..pos].matches('\n').count() + 1;
    let column = text[line_start..pos].chars().count() + 1;
    let source = text[line_start..line_end].trim_end_matches('\r');
    (line, column, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(node: &Node) -> Vec<&str> {
        match &node.value {
            Value::Table(entries) => entries.iter().map(|e| e.key.as_str()).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn toml_keeps_file_order_and_spans() {
        let text = "zeta = 1\nalpha = 2.5\n";
        let root = parse(text, Format::Toml).unwrap();
        assert_eq!(keys(&root), ["zeta", "alpha"]);
        let Value::Table(entries) = &root.value else {
            panic!()
        };
        assert_eq!(&text[entries[1].key_span.clone()], "alpha");
        assert_eq!(&text[entries[1].node.span.clone()], "2.5");
        assert_eq!(entries[0].node.value, Value::Integer(1));
    }

    #[test]
    fn toml_nan_is_kept_for_the_validator() {
        let root = parse("x = nan\n", Format::Toml).unwrap();
        let Value::Table(entries) = &root.value else {
            panic!()
        };
        assert!(matches!(entries[0].node.value, Value::Float(f) if f.is_nan()));
    }

    #[test]
    fn json_numbers_and_spans() {
        let text = r#"{ "b": 3, "a": 2.0, "c": 1e400 }"#;
        let root = parse(text, Format::Json).unwrap();
        assert_eq!(keys(&root), ["b", "a", "c"]);
        let Value::Table(entries) = &root.value else {
            panic!()
        };
        assert_eq!(&text[entries[0].key_span.clone()], "\"b\"");
        assert_eq!(entries[0].node.value, Value::Integer(3));
        assert_eq!(entries[1].node.value, Value::Float(2.0));
        assert!(matches!(entries[2].node.value, Value::Float(f) if f.is_infinite()));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a = \n", Format::Toml).unwrap_err();
        assert!(
            err.message.starts_with("TOML syntax error"),
            "{}",
            err.message
        );
        let err = parse("{ \"a\": }", Format::Json).unwrap_err();
        assert!(
            err.message.starts_with("JSON syntax error"),
            "{}",
            err.message
        );
        assert!(err.span.start > 0);
    }

    #[test]
    fn line_col_counts_characters() {
        let text = "ab\ncé = 1\n";
        assert_eq!(line_col(text, 7), (2, 4, "cé = 1"));
        assert_eq!(line_col(text, 0), (1, 1, "ab"));
        assert_eq!(line_col(text, 999), (3, 1, ""));
    }

    #[test]
    fn a_key_too_deep_is_found_where_it_starts() {
        let deep = format!("x{}", ".y".repeat(100));
        let text = format!("name = \"a.b\" # c.d\n[t]\nv = 1.5\n  {deep} = 1\n");
        let error = parse(&text, Format::Toml).unwrap_err();
        assert!(
            error.message.contains("recursion limit"),
            "{}",
            error.message
        );
        assert_eq!(line_col(&text, error.span.start).0, 4);
        assert_eq!(line_col(&text, error.span.start).1, 3);
        assert_eq!(deep_dotted_key("a.b.c = 1\n"), None);
    }
}
