//! The SVG plot: one row per policy, per-target p95 (left) and traffic share (right)
//! over time.

use std::path::Path;

use plotters::prelude::*;

use super::metrics::PolicyResult;
use super::scenario::Scenario;

const ROW_HEIGHT: u32 = 260;
const WIDTH: u32 = 1200;

fn color(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    PALETTE[i % PALETTE.len()]
}

/// Writes the plot of `results` to `path`.
pub(crate) fn write_svg(
    path: &Path,
    scenario: &Scenario,
    results: &[PolicyResult],
) -> Result<(), Box<dyn std::error::Error>> {
    let height = ROW_HEIGHT * results.len().max(1) as u32;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let rows = root.split_evenly((results.len().max(1), 2));
    let end_s = scenario.duration_s;
    // One p95 scale for every panel, so policies compare at a glance.
    let top_ms = results
        .iter()
        .flat_map(|r| r.series.p95_ms.iter().flatten().flatten())
        .fold(scenario.slo.p95_ms * 1.5, |a, &b| a.max(b))
        * 1.05;
    for (r, result) in results.iter().enumerate() {
        let window_s = result.series.window_s;
        let mid = |w: usize| (w as f64 + 0.5) * window_s;
        let mut p95 = ChartBuilder::on(&rows[2 * r])
            .caption(
                format!("{}: p95 per target (ms)", result.policy),
                ("sans-serif", 16),
            )
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..end_s, (1.0..top_ms).log_scale())?;
        p95.configure_mesh().x_desc("virtual time (s)").draw()?;
        p95.draw_series(LineSeries::new(
            [(0.0, scenario.slo.p95_ms), (end_s, scenario.slo.p95_ms)],
            BLACK.stroke_width(1),
        ))?
        .label("p95 target")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK));
        for (t, target) in scenario.targets.iter().enumerate() {
            let points: Vec<(f64, f64)> = result
                .series
                .p95_ms
                .iter()
                .enumerate()
                .filter_map(|(w, p)| p[t].map(|v| (mid(w), v.max(1.0))))
                .collect();
            let c = color(t);
            p95.draw_series(LineSeries::new(points, c.stroke_width(2)))?
                .label(target.name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
        }
        p95.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;

        let mut share = ChartBuilder::on(&rows[2 * r + 1])
            .caption(
                format!("{}: traffic share (%)", result.policy),
                ("sans-serif", 16),
            )
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(0.0..end_s, 0.0..100.0)?;
        share.configure_mesh().x_desc("virtual time (s)").draw()?;
        for t in 0..scenario.targets.len() {
            let points: Vec<(f64, f64)> = result
                .series
                .share
                .iter()
                .enumerate()
                .map(|(w, s)| (mid(w), 100.0 * s[t]))
                .collect();
            share.draw_series(LineSeries::new(points, color(t).stroke_width(2)))?;
        }
    }
    root.present()?;
    Ok(())
}
