//! Reading typed values out of the spanned tree, reporting every problem to a [`Ctx`].
//!
//! Each reader returns `None` after reporting, so section validators can carry on and collect
//! the next problem instead of stopping at the first.

use super::super::document::{Node, Span, Value};
use super::super::error::Diagnostic;
use super::super::types::Domain;

/// Collects diagnostics, each with its position so they can be listed in file order.
pub struct Ctx<'t> {
    file: &'t str,
    text: &'t str,
    found: Vec<(usize, Diagnostic)>,
    /// Byte offsets where each line starts, computed at the first problem: locating a problem
    /// is then a binary search, so validation stays linear in the file's size however many
    /// problems it has (40,000 unknown keys took 15 s when each scanned the text).
    line_starts: Option<Vec<usize>>,
}

/// The most problems listed for one file; the rest are counted in one last line.
pub const MAX_DIAGNOSTICS: usize = 200;

impl<'t> Ctx<'t> {
    pub fn new(file: &'t str, text: &'t str) -> Self {
        Ctx {
            file,
            text,
            found: Vec::new(),
            line_starts: None,
        }
    }

    /// The scenario file as named in diagnostics (its path, for files read from disk;
    /// relative files it names are read beside it).
    pub fn file(&self) -> &'t str {
        self.file
    }

    /// Reports a problem at `span` (or for the whole file when `span` is `None`).
    pub fn error_at(&mut self, span: Option<&Span>, path: &str, message: impl Into<String>) {
        let mut diagnostic = Diagnostic::whole_file(self.file, message);
        diagnostic.key_path = path.to_string();
        let pos = match span {
            Some(span) => {
                let (line, column, source) = self.locate(span.start);
                let end = span.end.clamp(span.start, self.text.len());
                let width = self
                    .text
                    .get(span.start..end)
                    .map_or(1, |s| s.lines().next().unwrap_or("").chars().count());
                diagnostic.line = line;
                diagnostic.column = column;
                diagnostic.source_line = source.to_string();
                diagnostic.caret_width = width.max(1);
                span.start
            }
            None => 0,
        };
        self.found.push((pos, diagnostic));
    }

    pub fn error(&mut self, span: &Span, path: &str, message: impl Into<String>) {
        self.error_at(Some(span), path, message);
    }

    /// How many problems have been reported so far (to tell whether a check added any).
    pub fn count(&self) -> usize {
        self.found.len()
    }

    /// The source text of a span, e.g. to quote a value exactly as the user wrote it.
    pub fn source(&self, span: &Span) -> &'t str {
        self.text.get(span.clone()).unwrap_or("")
    }

    /// All problems in file order (problems without a position first), at most
    /// [`MAX_DIAGNOSTICS`] of them and then a count of the rest.
    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        self.found.sort_by_key(|(pos, d)| (d.line > 0, *pos));
        let total = self.found.len();
        let mut list: Vec<Diagnostic> = self
            .found
            .into_iter()
            .take(MAX_DIAGNOSTICS)
            .map(|(_, d)| d)
            .collect();
        if total > MAX_DIAGNOSTICS {
            list.push(Diagnostic::whole_file(
                self.file,
                format!(
                    "… and {} more problems (only the first {MAX_DIAGNOSTICS} are listed)",
                    total - MAX_DIAGNOSTICS
                ),
            ));
        }
        list
    }

    /// 1-based line and column (in characters) of byte `pos`, and that line's text, as
    /// [`super::super::document::line_col`] gives them, in logarithmic time.
    fn locate(&mut self, pos: usize) -> (usize, usize, &'t str) {
        let text = self.text;
        let mut pos = pos.min(text.len());
        while !text.is_char_boundary(pos) {
            pos -= 1;
        }
        let starts = self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = starts.partition_point(|&start| start <= pos);
        let line_start = starts[line - 1];
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let column = text[line_start..pos].chars().count() + 1;
        let source = text[line_start..line_end].trim_end_matches('\r');
        (line, column, source)
    }

    // ---- scalars -------------------------------------------------------------------------

    /// A finite number inside `domain`.
    pub fn number(&mut self, field: &Field<'_>, domain: Domain) -> Option<f64> {
        self.number_why(field, domain, "")
    }

    /// Like [`Ctx::number`], with a reason appended to the out-of-range message.
    pub fn number_why(&mut self, field: &Field<'_>, domain: Domain, why: &str) -> Option<f64> {
        let x = self.finite(field)?;
        if domain.contains(x) {
            return Some(x);
        }
        let found = self.source(&field.node.span);
        let why = if why.is_empty() {
            String::new()
        } else {
            format!(" ({why})")
        };
        self.error(
            &field.node.span,
            &field.path,
            format!(
                "expected a number {}, found {found}{why}",
                domain.describe()
            ),
        );
        None
    }

    /// Any finite number.
    pub fn finite(&mut self, field: &Field<'_>) -> Option<f64> {
        let x = match field.node.value {
            Value::Integer(n) => n as f64,
            Value::Float(x) => x,
            ref other => {
                self.wrong_type(field, "a number", other);
                return None;
            }
        };
        if !x.is_finite() {
            let found = self.source(&field.node.span);
            self.error(
                &field.node.span,
                &field.path,
                format!("expected a finite number, found {found}"),
            );
            return None;
        }
        Some(x)
    }

    /// A whole number in `min..=max`; `too_large` says why the upper limit exists.
    pub fn whole(&mut self, field: &Field<'_>, min: u64, max: u64, too_large: &str) -> Option<u64> {
        let x = self.finite(field)?;
        let found = self.source(&field.node.span);
        if x.fract() != 0.0 || x < min as f64 {
            self.error(
                &field.node.span,
                &field.path,
                format!("expected a whole number ≥ {min}, found {found}"),
            );
            None
        } else if x > max as f64 {
            self.error(
                &field.node.span,
                &field.path,
                format!("{found} is too large: at most {max} is supported ({too_large})"),
            );
            None
        } else {
            Some(x as u64)
        }
    }

    pub fn string<'n>(&mut self, field: &Field<'n>) -> Option<&'n str> {
        match &field.node.value {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(field, "a string", other);
                None
            }
        }
    }

    pub fn boolean(&mut self, field: &Field<'_>) -> Option<bool> {
        match field.node.value {
            Value::Bool(b) => Some(b),
            ref other => {
                self.wrong_type(field, "true or false", other);
                None
            }
        }
    }

    pub fn wrong_type(&mut self, field: &Field<'_>, expected: &str, found: &Value) {
        // A quoted number is the most common slip; say how to fix it.
        let hint = match found {
            Value::String(s) if expected == "a number" && s.trim().parse::<f64>().is_ok() => {
                format!(" (write {} without quotes)", s.trim())
            }
            _ => String::new(),
        };
        let found = match found {
            Value::Integer(_) | Value::Float(_) => "a number",
            other => other.kind(),
        };
        self.error(
            &field.node.span,
            &field.path,
            format!("expected {expected}, found {found}{hint}"),
        );
    }

    // ---- tables --------------------------------------------------------------------------

    /// A table whose keys are free (names of cohorts, plans, parameters); duplicate keys (JSON
    /// allows them) are reported.
    pub fn open_table<'n>(&mut self, field: &Field<'n>) -> Option<Table<'n>> {
        let Value::Table(entries) = &field.node.value else {
            self.wrong_type(field, "a table", &field.node.value);
            return None;
        };
        let table = Table {
            path: field.path.clone(),
            key_span: field.key_span.clone(),
            entries,
            allowed: None,
        };
        // A set, not a scan of the earlier keys: a table of n keys is checked in O(n).
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        for entry in entries.iter() {
            if !seen.insert(entry.key.as_str()) {
                self.error(
                    &entry.key_span,
                    &join(&field.path, &entry.key),
                    format!("duplicate key `{}`; each key may appear once", entry.key),
                );
            }
        }
        Some(table)
    }

    /// A table with a fixed set of keys: unknown keys are reported with the nearest valid key.
    pub fn table<'n>(&mut self, field: &Field<'n>, allowed: &[&'static str]) -> Option<Table<'n>> {
        let mut table = self.open_table(field)?;
        self.reject_unknown(&table, allowed);
        table.allowed = Some(allowed.to_vec());
        Some(table)
    }

    /// Reports keys of `table` not in `allowed`; returns whether there were any.
    pub fn reject_unknown(&mut self, table: &Table<'_>, allowed: &[&str]) -> bool {
        let mut any = false;
        for entry in table.entries {
            if !allowed.contains(&entry.key.as_str()) {
                any = true;
                let message = match nearest(&entry.key, allowed.iter().copied()) {
                    Some(near) => format!("unknown key `{}`; did you mean `{near}`?", entry.key),
                    None => format!(
                        "unknown key `{}`; expected one of: {}",
                        entry.key,
                        allowed.join(", ")
                    ),
                };
                self.error(&entry.key_span, &join(&table.path, &entry.key), message);
            }
        }
        any
    }

    /// Reads a table that must take exactly one of several forms (sets of keys). Returns the
    /// index of the form and the table, or reports unknown, missing or mixed keys.
    pub fn form<'n>(&mut self, field: &Field<'n>, forms: &[&[&str]]) -> Option<(usize, Table<'n>)> {
        let table = self.open_table(field)?;
        let mut allowed: Vec<&str> = Vec::new();
        for key in forms.iter().flat_map(|f| f.iter()) {
            if !allowed.contains(key) {
                allowed.push(key);
            }
        }
        if self.reject_unknown(&table, &allowed) {
            return None;
        }
        let present: Vec<&str> = table.entries.iter().map(|e| e.key.as_str()).collect();
        let same =
            |form: &[&str]| form.len() == present.len() && form.iter().all(|k| present.contains(k));
        if let Some(i) = forms.iter().position(|f| same(f)) {
            return Some((i, table));
        }
        let listing = list_forms(forms);
        let superset = forms
            .iter()
            .filter(|f| !present.is_empty() && present.iter().all(|k| f.contains(k)))
            .min_by_key(|f| f.len());
        let message = match superset {
            Some(form) => {
                let missing: Vec<String> = form
                    .iter()
                    .filter(|k| !present.contains(k))
                    .map(|k| format!("`{k}`"))
                    .collect();
                format!(
                    "missing {} for the form {}; the forms are {listing}",
                    missing.join(" and "),
                    describe_form(form)
                )
            }
            None if present.is_empty() => format!("empty table; choose one form: {listing}"),
            None => format!(
                "{} mixes different forms; choose one form: {listing}",
                describe_form(&present)
            ),
        };
        self.error(&field.key_span, &field.path, message);
        None
    }
}

/// A key (or list element) with its value: what every reader takes.
#[derive(Debug, Clone)]
pub struct Field<'n> {
    /// Key path for diagnostics, e.g. `cohorts[0].retention.mean`.
    pub path: String,
    /// Where to point when the key itself is wrong or something is missing under it.
    pub key_span: Span,
    pub node: &'n Node,
}

/// A table being read.
#[derive(Debug, Clone)]
pub struct Table<'n> {
    pub path: String,
    /// The span of the key that introduced the table; `None` for the file's root.
    pub key_span: Span,
    pub entries: &'n [super::super::document::Entry],
    /// The valid keys, when the table has a fixed set (see [`Ctx::table`]).
    pub allowed: Option<Vec<&'static str>>,
}

impl<'n> Table<'n> {
    /// The root of a document.
    pub fn root(node: &'n Node) -> Option<Table<'n>> {
        match &node.value {
            Value::Table(entries) => Some(Table {
                path: String::new(),
                key_span: 0..0,
                entries,
                allowed: None,
            }),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<Field<'n>> {
        self.entries.iter().find(|e| e.key == key).map(|e| Field {
            path: join(&self.path, &e.key),
            key_span: e.key_span.clone(),
            node: &e.node,
        })
    }

    /// Every entry as a field, in file order.
    pub fn fields(&self) -> impl Iterator<Item = (&'n str, Field<'n>)> + '_ {
        self.entries.iter().map(|e| {
            (
                e.key.as_str(),
                Field {
                    path: join(&self.path, &e.key),
                    key_span: e.key_span.clone(),
                    node: &e.node,
                },
            )
        })
    }

    /// A key that must be present; `what` explains it in the message.
    pub fn required(&self, ctx: &mut Ctx<'_>, key: &str, what: &str) -> Option<Field<'n>> {
        let field = self.get(key);
        if field.is_none() && !self.has_typo_of(key) {
            let message = if self.path.is_empty() {
                format!("missing key `{key}` ({what})")
            } else {
                format!("missing key `{key}` in `{}` ({what})", self.path)
            };
            let span = (!self.path.is_empty()).then_some(&self.key_span);
            ctx.error_at(span, &join(&self.path, key), message);
        }
        field
    }

    /// Whether an unknown key looks like a typo of `key`: it was reported as such, so a
    /// second "missing key" problem would only repeat it.
    fn has_typo_of(&self, key: &str) -> bool {
        let Some(allowed) = &self.allowed else {
            return false;
        };
        self.entries
            .iter()
            .filter(|e| !allowed.contains(&e.key.as_str()))
            .any(|e| nearest(&e.key, allowed.iter().copied()) == Some(key))
    }

    /// An optional number with a default.
    pub fn number_or(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        domain: Domain,
        default: f64,
    ) -> Option<f64> {
        match self.get(key) {
            Some(field) => ctx.number(&field, domain),
            None => Some(default),
        }
    }

    /// A required number.
    pub fn number(&self, ctx: &mut Ctx<'_>, key: &str, domain: Domain, what: &str) -> Option<f64> {
        let field = self.required(ctx, key, what)?;
        ctx.number(&field, domain)
    }
}

/// Elements of a list as fields `path[i]`.
pub fn elements<'n>(field: &Field<'n>) -> Option<Vec<Field<'n>>> {
    match &field.node.value {
        Value::Array(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, node)| Field {
                    path: format!("{}[{i}]", field.path),
                    key_span: node.span.clone(),
                    node,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// `parent.key`, quoting keys that are not plain words (e.g. uncertainty paths).
pub fn join(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if plain {
        key.to_string()
    } else {
        format!("\"{key}\"")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// The candidate closest to `word` if it is close enough to be a plausible typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word_lower, &c.to_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| {
            *distance <= (c.chars().count().max(word.chars().count()) / 3).max(1)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// `{ mean, shape }`
pub fn describe_form(keys: &[&str]) -> String {
    format!("{{ {} }}", keys.join(", "))
}

/// `{ fixed }, { mean } or { mean, shape }`
pub fn list_forms(forms: &[&[&str]]) -> String {
    let described: Vec<String> = forms.iter().map(|f| describe_form(f)).collect();
    or_list(&described)
}

/// `a, b or c`
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A number for messages: rounded to 9 decimals so sums read `0.9`, not `0.9000000000000001`.
pub fn show(x: f64) -> String {
    let rounded = (x * 1e9).round() / 1e9;
    format!("{rounded}")
}
