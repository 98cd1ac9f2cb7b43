//! Charts as SVG, rendered on the server (no script): bars stacked per category, bars side
//! by side, and horizontal bars with a label each. Every chart has a `<title>` (it is an
//! image with a name for screen readers); the pages put the figures beside it in a table.
//! Colours only through presentation attributes, which the console's Content-Security-Policy
//! allows (inline `style` it does not).

use std::fmt::Write as _;

/// Series colours: dark enough for 4.5:1 against white.
const PALETTE: [&str; 8] = [
    "#1f5f99", "#a8461a", "#2e7d32", "#6a1b9a", "#7a5d00", "#00695c", "#ad1457", "#455a64",
];

/// `s` with the five XML special characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The axis' upper end: four equal steps of 1, 2 or 5 times a power of ten, so that every
/// tick is a round number; at least `max`.
fn axis_max(max: u64) -> u64 {
    nice_max(max.div_ceil(4)).saturating_mul(4)
}

/// A round number: 1, 2 or 5 times a power of ten, at least `max` (and at least 1).
fn nice_max(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m) >= max {
                return step.saturating_mul(m).max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

const W: u32 = 720;
const H: u32 = 260;
const LEFT: u32 = 70;
const BOTTOM: u32 = 40;
const TOP: u32 = 14;

fn open(out: &mut String, id: &str, title: &str, height: u32) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{id}-t" viewBox="0 0 {W} {height}" width="100%" class="chart"><title id="{id}-t">{}</title>"##,
        escape(title)
    );
}

fn axis(out: &mut String, max: u64, format: &dyn Fn(u64) -> String) {
    let plot_h = H - TOP - BOTTOM;
    for i in 0..=4u32 {
        let v = max * u64::from(i) / 4;
        let y = H - BOTTOM - plot_h * i / 4;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{W}" y1="{y}" y2="{y}" stroke="#d0d0d0" stroke-width="1"/><text x="{}" y="{}" text-anchor="end" font-size="11" fill="#222">{}</text>"##,
            LEFT - 6,
            y + 4,
            escape(&format(v))
        );
    }
}

fn legend(out: &mut String, names: &[String], y: u32) {
    let mut x = LEFT;
    for (i, name) in names.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{}" width="10" height="10" fill="{colour}"/><text x="{}" y="{}" font-size="11" fill="#222">{}</text>"##,
            y,
            x + 14,
            y + 9,
            escape(name)
        );
        x += 24 + 7 * name.chars().count() as u32;
    }
}

/// Bars per category (`labels`), each stacked from the `series` (name, one value per
/// label), with a legend.
pub fn stacked_bars(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[(String, Vec<u64>)],
) -> String {
    let mut out = String::new();
    let height = H + 20;
    open(&mut out, id, title, height);
    let totals: Vec<u64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = axis_max(totals.iter().copied().max().unwrap_or(0));
    axis(&mut out, max, &|v| v.to_string());
    let plot_h = u64::from(H - TOP - BOTTOM);
    let slot = (W - LEFT) / labels.len().max(1) as u32;
    let bar = (slot * 6 / 10).max(2);
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + slot * i as u32 + (slot - bar) / 2;
        let mut base = u64::from(H - BOTTOM);
        for (s, (name, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = (v * plot_h / max).max(1);
            base -= h;
            let _ = write!(
                out,
                r##"<rect x="{x}" y="{base}" width="{bar}" height="{h}" fill="{}"><title>{} {}: {v}</title></rect>"##,
                PALETTE[s % PALETTE.len()],
                escape(label),
                escape(name)
            );
        }
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#222">{}</text>"##,
            x + bar / 2,
            H - BOTTOM + 16,
            escape(label)
        );
    }
    let names: Vec<String> = series.iter().map(|(n, _)| n.clone()).collect();
    legend(&mut out, &names, H - 4);
    out.push_str("</svg>");
    out
}

/// Bars side by side per category, one per series; values formatted by `format` on the
/// axis.
pub fn grouped_bars(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[(String, Vec<u64>)],
    format: &dyn Fn(u64) -> String,
) -> String {
    let mut out = String::new();
    let height = H + 20;
    open(&mut out, id, title, height);
    let max = axis_max(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .max()
            .unwrap_or(0),
    );
    axis(&mut out, max, format);
    let plot_h = u64::from(H - TOP - BOTTOM);
    let slot = (W - LEFT) / labels.len().max(1) as u32;
    let n = series.len().max(1) as u32;
    let bar = (slot * 7 / 10 / n).max(2);
    for (i, label) in labels.iter().enumerate() {
        let x0 = LEFT + slot * i as u32 + (slot - bar * n) / 2;
        for (s, (name, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = (v * plot_h / max).max(1);
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="{bar}" height="{h}" fill="{}"><title>{} {}: {}</title></rect>"##,
                x0 + bar * s as u32,
                u64::from(H - BOTTOM) - h,
                PALETTE[s % PALETTE.len()],
                escape(label),
                escape(name),
                escape(&format(v))
            );
        }
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="#222">{}</text>"##,
            x0 + bar * n / 2,
            H - BOTTOM + 16,
            escape(label)
        );
    }
    let names: Vec<String> = series.iter().map(|(n, _)| n.clone()).collect();
    legend(&mut out, &names, H - 4);
    out.push_str("</svg>");
    out
}

/// One horizontal bar per item (label, value), longest first as given.
pub fn horizontal_bars(id: &str, title: &str, items: &[(String, u64)]) -> String {
    let mut out = String::new();
    let row = 22u32;
    let label_w = 300u32;
    let height = TOP + row * items.len().max(1) as u32 + 10;
    open(&mut out, id, title, height);
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let plot_w = u64::from(W - label_w - 50);
    for (i, (label, v)) in items.iter().enumerate() {
        let y = TOP + row * i as u32;
        let w = (v * plot_w / max).max(1);
        let shown: String = label.chars().take(48).collect();
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" font-size="11" fill="#222">{}</text><rect x="{label_w}" y="{}" width="{w}" height="{}" fill="{}"><title>{}: {v}</title></rect><text x="{}" y="{}" font-size="11" fill="#222">{v}</text>"##,
            label_w - 6,
            y + 13,
            escape(&shown),
            y + 2,
            row - 6,
            PALETTE[0],
            escape(label),
            u64::from(label_w) + w + 4,
            y + 13,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(12), 20);
        assert_eq!(nice_max(480), 500);
        assert_eq!(nice_max(500), 500);
        // Four steps of a round number: 0, 2, 4, 6, 8 for a largest value of 5.
        assert_eq!(axis_max(5), 8);
        assert_eq!(axis_max(4), 4);
        assert_eq!(axis_max(0), 4);
        assert_eq!(axis_max(139_584), 200_000);
    }

    #[test]
    fn a_stacked_chart_has_a_title_a_bar_per_value_and_escapes_labels() {
        let svg = stacked_bars(
            "c",
            "Berichten <per> week",
            &["W1".into(), "W2".into()],
            &[("JW315".into(), vec![3, 0]), ("JW323".into(), vec![1, 2])],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"c-t\">Berichten &lt;per&gt; week</title>"));
        // Three non-zero values, three bars (plus the legend's two squares).
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(svg.contains("<title>W2 JW323: 2</title>"));
    }

    #[test]
    fn horizontal_bars_scale_to_the_largest() {
        let svg = horizontal_bars("r", "t", &[("a".into(), 10), ("b".into(), 5)]);
        let widths: Vec<u64> = svg
            .split("width=\"")
            .skip(2)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(widths.len(), 2, "{svg}");
        assert_eq!(widths[0], 2 * widths[1]);
    }
}
