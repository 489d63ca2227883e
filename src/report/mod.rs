//! `ceq report`: one self-contained HTML page and a Markdown file that stand on their own for
//! a reader who never ran ceq. [`build`](fn@build) runs the simulation, the plan comparison, the
//! optimization (when the scenario has `[optimize]`) and the sensitivity once into a plain
//! [`data::ReportData`] with its charts; [`html`] and [`markdown`] only format it.

pub mod base;
pub mod build;
pub mod channels;
pub mod data;
pub mod describe;
pub mod estimate;
pub mod html;
pub mod markdown;
pub mod payback;
pub mod sample;
pub mod seed_levers;

pub use build::{Options, ReportError, build};
pub use data::{Report, ReportData};

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or paragraph: characters that would start markup
/// (raw HTML included, `<` and `&`), and line breaks, which would end a table row.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch == '&' {
            out.push_str("&amp;");
            continue;
        }
        if matches!(ch, '\n' | '\r') {
            out.push(' ');
            continue;
        }
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

pub use crate::format::{money, money_interval, signed_money};

/// The phasing sentence of the optimization section, for every format.
pub fn phasing_sentence(p: &data::PhasingRow, currency: &str) -> String {
    let paths: Vec<String> = p
        .paths
        .iter()
        .map(|(lever, path)| {
            let years: Vec<String> = path.iter().map(|v| money(*v, currency)).collect();
            format!("{lever} {}", years.join(" / "))
        })
        .collect();
    format!(
        "Spend per period by year: {}. Phasing by year is worth {} against the best constant \
         split (95% CI {}, better in {:.1}% of paired runs).",
        paths.join("; "),
        signed_money(p.gain_mean, currency),
        money_interval(p.gain_ci95, currency),
        100.0 * p.prob_better
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape_html("plain café"), "plain café");
    }

    #[test]
    fn markdown_escaping_neutralizes_tables_and_links() {
        assert_eq!(escape_markdown("a|b [x](y) *z*"), r"a\|b \[x\](y) \*z\*");
    }
}
