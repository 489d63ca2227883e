//! User text made safe for where it lands (SPEC §12.4): a terminal and CSV files. (Markdown and
//! HTML escape in [`crate::report`].)
//!
//! Names in a scenario are the user's, but a scenario may come from someone else: an ANSI
//! escape in a plan name can rewrite the terminal, a bidi override can make `evil.toml` read as
//! another name (CVE-2021-42574, "Trojan Source"), and a CSV cell starting with `=` runs as a
//! formula when a spreadsheet opens the file (OWASP, "CSV Injection").

/// `text` with every control character other than newline and tab, and every bidi control,
/// replaced by its visible `\uXXXX` form — which is also a valid escape inside a JSON string,
/// so the same function serves text and JSON on stdout.
pub fn terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if unsafe_char(ch) {
            out.push_str(&format!("\\u{:04x}", u32::from(ch)));
        } else {
            out.push(ch);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters (C0 but newline and tab, DEL, C1) and the Unicode bidi controls.
fn unsafe_char(ch: char) -> bool {
    (ch.is_control() && ch != '\n' && ch != '\t')
        || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// CSV bytes with every text cell that a spreadsheet would read as a formula — starting with
/// `=`, `+`, `-`, `@`, tab or carriage return — prefixed with `'` (OWASP's advice). Numbers
/// (`-3.5`, `+1e3`) are left alone: they are data, not formulas. Bytes that are not CSV pass
/// unchanged.
pub fn neutralize_csv(bytes: &[u8]) -> Vec<u8> {
    let risky = |cell: &[u8]| {
        matches!(
            cell.first(),
            Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
        ) && std::str::from_utf8(cell).map_or(true, |s| s.trim().parse::<f64>().is_err())
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = Vec::new();
    let mut changed = false;
    for record in reader.byte_records() {
        let Ok(record) = record else {
            return bytes.to_vec();
        };
        let mut out = csv::ByteRecord::new();
        for cell in &record {
            if risky(cell) {
                changed = true;
                let mut safe = b"'".to_vec();
                safe.extend_from_slice(cell);
                out.push_field(&safe);
            } else {
                out.push_field(cell);
            }
        }
        records.push(out);
    }
    if !changed {
        return bytes.to_vec();
    }
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for record in &records {
        if writer.write_byte_record(record).is_err() {
            return bytes.to_vec();
        }
    }
    writer.into_inner().unwrap_or_else(|_| bytes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_bidi_controls_become_visible() {
        assert_eq!(terminal("plain\tname\n"), "plain\tname\n");
        assert_eq!(terminal("a\u{1b}[31mred"), "a\\u001b[31mred");
        assert_eq!(terminal("x\u{202e}txt.exe"), "x\\u202etxt.exe");
        assert_eq!(terminal("cr\r"), "cr\\u000d");
        let json = format!("\"{}\"", terminal("a\u{2066}b"));
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), "a\u{2066}b");
    }

    #[test]
    fn formula_cells_are_neutralized_and_numbers_kept() {
        let csv = b"plan,mean\n=HYPERLINK(\"x\"),-3.5\n@SUM(A1),+1e3\nsafe,1\n";
        let text = String::from_utf8(neutralize_csv(csv)).unwrap();
        assert_eq!(
            text,
            "plan,mean\n\"'=HYPERLINK(\"\"x\"\")\",-3.5\n'@SUM(A1),+1e3\nsafe,1\n"
        );
        let untouched = b"a,b\n1,-2\n";
        assert_eq!(neutralize_csv(untouched), untouched.to_vec());
    }
}
