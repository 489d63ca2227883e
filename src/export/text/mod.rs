//! Text tables and sections of every command's report: small functions from a result to a
//! `String` (STYLE.md §7), so a Rust user gets the same text the command line prints and the
//! command line only writes it to stdout.
//!
//! The layout helpers ([`table`], [`pad`], [`titled`]) are shared by every section; numbers go
//! through [`crate::format`], the one set of formatters.

pub mod base;
pub mod fit;
pub mod payback;
pub mod plans;
pub mod simulate;

/// A section: its title line, then its body.
pub fn titled(title: &str, body: String) -> String {
    format!("{title}\n{body}")
}

/// How a column of a [`table`] is aligned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Align {
    /// Text columns: padded on the right.
    Left,
    /// Number columns: padded on the left.
    Right,
}

/// Space between columns.
const GAP: &str = "   ";

/// Lays out `rows` in columns three spaces apart, each line indented by `indent` and without
/// trailing spaces.
pub fn table(align: &[Align], rows: &[Vec<String>], indent: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                pad(
                    cell,
                    widths[c],
                    align.get(c).copied().unwrap_or(Align::Left),
                )
            })
            .collect();
        let line = format!("{}{}", " ".repeat(indent), cells.join(GAP));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The alignment of a table whose first `labels` columns are text and whose other columns, up
/// to `columns`, are numbers.
pub fn labels_then_numbers(labels: usize, columns: usize) -> Vec<Align> {
    (0..columns)
        .map(|c| {
            if c < labels {
                Align::Left
            } else {
                Align::Right
            }
        })
        .collect()
}

/// `cell` padded with spaces to `width` characters. By hand rather than with `{:<width$}`,
/// whose width is limited to 65,535 and panics past it (a plan name can be longer).
pub fn pad(cell: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.chars().count()));
    match align {
        Align::Left => format!("{cell}{fill}"),
        Align::Right => format!("{fill}{cell}"),
    }
}

/// The formatters the tables use, under the short names the sections read best with.
pub use crate::format::{
    group_digits, mean_count as count, percent_one_decimal as percent, whole as money,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_columns_pad_right_and_number_columns_left() {
        let align = labels_then_numbers(2, 4);
        assert_eq!(
            align,
            vec![Align::Left, Align::Left, Align::Right, Align::Right]
        );
        let rows = vec![
            vec![
                "a".to_string(),
                "bb".to_string(),
                "1".to_string(),
                "22".to_string(),
            ],
            vec![
                "ccc".to_string(),
                "d".to_string(),
                "333".to_string(),
                "4".to_string(),
            ],
        ];
        assert_eq!(
            table(&align, &rows, 1),
            " a     bb     1   22\n ccc   d    333    4\n"
        );
    }
}
