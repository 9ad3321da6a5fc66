//! The Markdown report: sections of tables, plus the small numeric helpers
//! (medians, ratios, units) every scenario formats its rows with.

use std::fmt::Write as _;

/// One scenario's contribution to the report.
pub struct Section {
    pub title: String,
    pub table: Table,
    /// Remarks such as skipped tests, printed under the table.
    pub notes: Vec<String>,
}

pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    /// A GitHub-flavoured Markdown table, padded so it also reads well in a
    /// terminal. The first column is left-aligned, the (numeric) rest right.
    pub fn to_markdown(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                let cells = self.rows.iter().map(|r| r[i].len());
                cells.chain([self.headers[i].len(), 3]).max().unwrap_or(3)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, &w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let rule: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                if i == 0 {
                    "-".repeat(w + 2)
                } else {
                    format!("{}:", "-".repeat(w + 1))
                }
            })
            .collect();
        let mut out = line(&self.headers);
        out.push_str(&format!("|{}|\n", rule.join("|")));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

impl Section {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("### {}\n\n{}", self.title, self.table.to_markdown());
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

pub fn render(sections: &[Section]) -> String {
    let parts: Vec<String> = sections.iter().map(Section::to_markdown).collect();
    parts.join("\n")
}

/// Median of the values; the mean of the middle two for an even count.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

/// The nearest-rank `p`th percentile (0 < p <= 100) of the values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// `redust / redis` to two decimals, "n/a" when either side is missing.
pub fn ratio(redust: Option<f64>, redis: Option<f64>) -> String {
    match (redust, redis) {
        // Three decimals for tiny ratios, which two would show as 0.00.
        (Some(a), Some(b)) if b != 0.0 && a / b < 0.095 => format!("{:.3}", a / b),
        (Some(a), Some(b)) if b != 0.0 => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    }
}

pub fn fmt_opt(value: Option<f64>, format: impl Fn(f64) -> String) -> String {
    value.map(format).unwrap_or_else(|| "n/a".to_owned())
}

pub fn ops(value: f64) -> String {
    format!("{value:.0}")
}

pub fn millis(value: f64) -> String {
    format!("{value:.3}")
}

pub fn seconds(value: f64) -> String {
    format!("{value:.2} s")
}

/// Bytes in the unit that keeps the figure short.
pub fn bytes(value: f64) -> String {
    const KIB: f64 = 1024.0;
    match value {
        v if v < 10.0 * KIB => format!("{v:.0} B"),
        v if v < 10.0 * KIB * KIB => format!("{:.1} KiB", v / KIB),
        v => mebibytes(v),
    }
}

pub fn mebibytes(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), Some(50.0));
        assert_eq!(percentile(&values, 99.0), Some(99.0));
        assert_eq!(percentile(&values, 100.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn ratio_handles_missing_and_zero() {
        assert_eq!(ratio(Some(1.0), Some(4.0)), "0.25");
        assert_eq!(ratio(Some(1.0), Some(250.0)), "0.004");
        assert_eq!(ratio(None, Some(4.0)), "n/a");
        assert_eq!(ratio(Some(1.0), Some(0.0)), "n/a");
    }

    #[test]
    fn byte_units() {
        assert_eq!(bytes(832.0), "832 B");
        assert_eq!(bytes(302_040.0), "295.0 KiB");
        assert_eq!(bytes(13_690_350.0), "13.1 MiB");
    }

    #[test]
    fn markdown_table_is_aligned() {
        let mut table = Table::new(&["test", "ops/s"]);
        table.push(vec!["SET".into(), "81633".into()]);
        assert_eq!(
            table.to_markdown(),
            "| test | ops/s |\n|------|------:|\n| SET  | 81633 |\n"
        );
    }

    #[test]
    fn section_lists_notes_after_table() {
        let section = Section {
            title: "T".into(),
            table: Table::new(&["a"]),
            notes: vec!["skipped".into()],
        };
        assert_eq!(
            section.to_markdown(),
            "### T\n\n| a   |\n|-----|\n\n- skipped\n"
        );
    }
}
