//! Charts drawn on the server as SVG (issue "Reports and evaluation",
//! item 5): they print as sharply as the text around them, need no script,
//! and carry their figures as text for screen readers (`role="img"` with a
//! label, a `<title>` per mark). Hand-written: three chart shapes over
//! maud, where a plotting crate would bring a renderer, fonts and far more
//! than these few elements.

use maud::{html, Markup};

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

/// Vertical bars, one per label, of shares from 0 to 1 (a missing value
/// draws no bar), with the target as a dashed line.
pub fn share_bars(label: &str, labels: &[String], values: &[Option<f64>], target: Option<f64>) -> Markup {
    let n = labels.len().max(1) as f64;
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / n;
    let bar = (slot * 0.7).max(1.0);
    let y = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, 1.0));
    // Label every k-th bar so that the labels do not overlap.
    let every = ((n * 34.0 / plot_w).ceil() as usize).max(1);
    html! {
        svg.chart role="img" aria-label=(label) viewBox={ "0 0 " (W) " " (H) } xmlns="http://www.w3.org/2000/svg" {
            @for pct in [0.0, 0.5, 1.0] {
                line.grid x1=(LEFT) x2=(W - 8.0) y1=(y(pct)) y2=(y(pct)) {}
                text.axis x=(LEFT - 4.0) y=(y(pct) + 4.0) text-anchor="end" { (format!("{:.0} %", pct * 100.0)) }
            }
            @for (i, (l, v)) in labels.iter().zip(values).enumerate() {
                @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                @if let Some(v) = v {
                    rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", y(*v))) width=(format!("{bar:.1}"))
                        height=(format!("{:.1}", TOP + plot_h - y(*v))) {
                        title { (l) ": " (format!("{:.1} %", v * 100.0)) }
                    }
                }
                @if i % every == 0 {
                    text.axis x=(format!("{:.1}", x + bar / 2.0)) y=(H - 10.0) text-anchor="middle" { (l) }
                }
            }
            @if let Some(t) = target {
                line.target x1=(LEFT) x2=(W - 8.0) y1=(y(t)) y2=(y(t)) { title { (format!("{:.0} %", t * 100.0)) } }
            }
        }
    }
}

/// A heat map: rows (weekdays) by columns (hours), each cell darker the
/// more it holds, with its count written in it.
pub fn heat(label: &str, rows: &[String], cols: &[String], cells: &[Vec<i64>]) -> Markup {
    let most = cells.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let cw = (W - LEFT - 8.0) / cols.len().max(1) as f64;
    let ch = 22.0;
    let h = TOP + ch * rows.len() as f64 + BOTTOM;
    html! {
        svg.chart role="img" aria-label=(label) viewBox={ "0 0 " (W) " " (h) } xmlns="http://www.w3.org/2000/svg" {
            @for (r, name) in rows.iter().enumerate() {
                text.axis x=(LEFT - 4.0) y=(format!("{:.1}", TOP + ch * r as f64 + 15.0)) text-anchor="end" { (name) }
                @for (c, col) in cols.iter().enumerate() {
                    @let v = cells.get(r).and_then(|row| row.get(c)).copied().unwrap_or(0);
                    rect.cell x=(format!("{:.1}", LEFT + cw * c as f64)) y=(format!("{:.1}", TOP + ch * r as f64))
                        width=(format!("{:.1}", cw - 1.0)) height=(ch - 1.0)
                        fill-opacity=(format!("{:.2}", 0.06 + 0.94 * v as f64 / most)) {
                        title { (name) " " (col) ": " (v) }
                    }
                    @if v > 0 {
                        text.count x=(format!("{:.1}", LEFT + cw * c as f64 + cw / 2.0)) y=(format!("{:.1}", TOP + ch * r as f64 + 15.0))
                            text-anchor="middle" { (v) }
                    }
                }
            }
            @for (c, col) in cols.iter().enumerate() {
                @if c % 2 == 0 {
                    text.axis x=(format!("{:.1}", LEFT + cw * c as f64 + cw / 2.0)) y=(h - 10.0) text-anchor="middle" { (col) }
                }
            }
        }
    }
}

/// Horizontal bars, one per name, longest first as given.
pub fn ranking(label: &str, names: &[String], values: &[i64]) -> Markup {
    let most = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let left = 120.0;
    let rh = 22.0;
    let h = TOP + rh * names.len() as f64 + 8.0;
    html! {
        svg.chart role="img" aria-label=(label) viewBox={ "0 0 " (W) " " (h) } xmlns="http://www.w3.org/2000/svg" {
            @for (i, (n, v)) in names.iter().zip(values).enumerate() {
                @let y = TOP + rh * i as f64;
                text.axis x=(left - 6.0) y=(format!("{:.1}", y + 15.0)) text-anchor="end" { (n) }
                rect.bar x=(left) y=(format!("{y:.1}")) height=(rh - 4.0)
                    width=(format!("{:.1}", (W - left - 60.0) * *v as f64 / most)) { title { (n) ": " (v) } }
                text.count-out x=(format!("{:.1}", left + 6.0 + (W - left - 60.0) * *v as f64 / most)) y=(format!("{:.1}", y + 15.0)) { (v) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_draw_each_value_with_its_figure_and_skip_the_missing() {
        let svg = share_bars("SL", &["08".into(), "09".into(), "10".into()], &[Some(0.5), None, Some(1.0)], Some(0.8))
            .into_string();
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(svg.contains("<title>08: 50.0 %</title>") && svg.contains("<title>10: 100.0 %</title>"));
        assert!(svg.contains("class=\"target\"") && svg.contains("role=\"img\" aria-label=\"SL\""));
        // Full height at 100 %: from the top margin to the axis.
        assert!(svg.contains(&format!("height=\"{:.1}\"", H - TOP - BOTTOM)), "{svg}");
    }

    #[test]
    fn the_heat_map_darkens_with_its_count_and_writes_it() {
        let svg = heat("Calls", &["Mon".into()], &["08".into(), "09".into()], &[vec![0, 10]]).into_string();
        assert!(svg.contains("fill-opacity=\"0.06\"") && svg.contains("fill-opacity=\"1.00\""), "{svg}");
        assert!(svg.contains("<title>Mon 09: 10</title>") && svg.contains(">10</text>"));
    }

    #[test]
    fn the_ranking_scales_to_the_first() {
        let svg = ranking("Answered", &["ana".into(), "bo".into()], &[10, 5]).into_string();
        assert!(svg.contains("<title>ana: 10</title>") && svg.contains("<title>bo: 5</title>"));
        let full = format!("width=\"{:.1}\"", W - 120.0 - 60.0);
        let half = format!("width=\"{:.1}\"", (W - 120.0 - 60.0) / 2.0);
        assert!(svg.contains(&full) && svg.contains(&half), "{svg}");
    }
}
