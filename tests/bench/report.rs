//! The figures and the Markdown table: a `Summary` (median, min, max) of repeated runs, a `Row`
//! that puts one measured figure next to its reference (nginx, Pillow, libvips) and its budget, and
//! the printer. It only formats; it measures nothing and decides nothing about what to run.

use std::fmt::Write as _;

/// Median and range of repeated runs of one figure.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Summary {
    /// Summarises the runs; `None` when there are none (a section that could not run).
    pub fn of(values: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        Some(Summary { median, min: sorted[0], max: sorted[n - 1], runs: n })
    }
}

/// What a figure must satisfy; ratios are isync ÷ reference, both medians.
#[derive(Clone, Copy, Debug)]
pub enum Budget {
    AtMost(f64),
    AtLeast(f64),
    RatioAtMost(f64),
    RatioAtLeast(f64),
}

/// One line of the table.
pub struct Row {
    pub measure: String,
    pub unit: &'static str,
    pub value: Option<Summary>,
    pub reference: Option<(&'static str, Option<Summary>)>,
    pub budget: Option<Budget>,
}

impl Row {
    pub fn new(measure: impl Into<String>, unit: &'static str, runs: &[f64]) -> Row {
        Row { measure: measure.into(), unit, value: Summary::of(runs), reference: None, budget: None }
    }

    pub fn against(mut self, name: &'static str, runs: &[f64]) -> Row {
        self.reference = Some((name, Summary::of(runs)));
        self
    }

    pub fn budget(mut self, budget: Budget) -> Row {
        self.budget = Some(budget);
        self
    }

    fn ratio(&self) -> Option<f64> {
        let value = self.value?;
        let reference = self.reference?.1?;
        (reference.median != 0.0).then(|| value.median / reference.median)
    }

    /// "✓ ≤ 4 MiB", "✗ ≥ 0.9× nginx", or empty without a budget; "?" when unmeasured.
    fn verdict(&self) -> String {
        let Some(budget) = self.budget else { return String::new() };
        let reference = self.reference.map_or("reference", |(name, _)| name);
        let (holds, text) = match budget {
            Budget::AtMost(limit) => (self.value.map(|v| v.median <= limit), format!("≤ {} {}", num(limit), self.unit)),
            Budget::AtLeast(limit) => {
                (self.value.map(|v| v.median >= limit), format!("≥ {} {}", num(limit), self.unit))
            }
            Budget::RatioAtMost(limit) => (self.ratio().map(|r| r <= limit), format!("≤ {limit:.1}× {reference}")),
            Budget::RatioAtLeast(limit) => (self.ratio().map(|r| r >= limit), format!("≥ {limit:.1}× {reference}")),
        };
        let mark = match holds {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "?",
        };
        format!("{mark} {text}")
    }
}

/// Numbers with a precision that suits their size.
pub fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn figure(summary: Option<Summary>, unit: &str) -> (String, String) {
    match summary {
        Some(s) => (format!("{} {unit}", num(s.median)), format!("{}–{} (n={})", num(s.min), num(s.max), s.runs)),
        None => ("n/a".into(), String::new()),
    }
}

/// The whole table, one `| … |` line per row plus header, with section rows in bold.
pub fn table(sections: &[(&str, Vec<Row>)]) -> String {
    let mut out = String::new();
    out.push_str("| Measure | isync (median) | isync min–max | Reference (median, min–max) | Ratio | Budget |\n");
    out.push_str("|---|---:|---:|---:|---:|---|\n");
    for (title, rows) in sections {
        let _ = writeln!(out, "| **{title}** | | | | | |");
        for row in rows {
            let (value, range) = figure(row.value, row.unit);
            let reference = match row.reference {
                Some((name, Some(s))) => {
                    format!("{name}: {} {} ({}–{})", num(s.median), row.unit, num(s.min), num(s.max))
                }
                Some((name, None)) => format!("{name}: n/a"),
                None => String::new(),
            };
            let ratio = row.ratio().map(|r| format!("{}×", num(r))).unwrap_or_default();
            let _ =
                writeln!(out, "| {} | {value} | {range} | {reference} | {ratio} | {} |", row.measure, row.verdict());
        }
    }
    out
}
