//! The latency chart (PNG or SVG, drawn with plotters): p99 load and xruns
//! per buffer size, from the [`LatencyReport`]s the engine measured. Used by
//! `coremusic latency --report` and the window's chart export.

use std::path::Path;

use crate::engine::latency::{LatencyReport, MAX_LOAD};

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The path names neither a PNG nor an SVG file.
    #[error("the file must end in .png or .svg")]
    Kind,
    /// The embedded font could not be registered with plotters.
    #[error("the chart font could not be loaded")]
    Font,
    /// Drawing or writing the picture failed (plotters' message: a full
    /// disk, a folder that is not there…).
    #[error("{0}")]
    Draw(String),
}

/// What a report file is, by its extension.
pub enum ReportKind {
    /// A PNG image.
    Png,
    /// An SVG drawing.
    Svg,
}

/// The kind of chart `path` asks for, from its extension.
pub fn report_kind(path: &Path) -> Option<ReportKind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "png" => Some(ReportKind::Png),
        "svg" => Some(ReportKind::Svg),
        _ => None,
    }
}

/// The font family every chart label is drawn in.
pub(crate) const FONT: &str = "sans-serif";

/// Registers the chart font (Ubuntu Light, the typeface egui draws with,
/// embedded by `epaint_default_fonts`) with plotters' ab_glyph backend, once.
/// Without it plotters has no font and no text can be drawn.
pub(crate) fn register_chart_font() -> Result<(), ChartError> {
    static REGISTERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, plotters::style::FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT)
            .is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// The x-axis title of both charts.
pub const X_LABEL: &str = "Buffer size (frames)";
/// The y-axis title of the load chart.
pub const LOAD_LABEL: &str = "p99 callback load (%)";
/// The y-axis title of the xrun chart.
pub const XRUN_LABEL: &str = "Xruns";

/// Draws the report: top, p99 load per buffer size (bars; green under 70 %,
/// red with xruns, amber otherwise; the 70 % line dashed; the axis stops at
/// 200 %, a bar beyond it is cut and labelled with its value); bottom, xruns
/// per buffer size. Titles and axis labels are drawn in the embedded font.
pub fn draw_report(path: &Path, reports: &[LatencyReport]) -> Result<(), ChartError> {
    use plotters::prelude::*;
    register_chart_font()?;
    // Drawn in memory, then written beside the target and renamed into place.
    match report_kind(path) {
        Some(ReportKind::Png) => {
            let (w, h) = CHART_SIZE;
            let mut rgb = vec![255u8; w as usize * h as usize * 3];
            draw(BitMapBackend::with_buffer(&mut rgb, CHART_SIZE).into_drawing_area(), reports)?;
            super::picture_file::write_png(path, &rgb, CHART_SIZE)
        }
        Some(ReportKind::Svg) => {
            let mut svg = String::new();
            draw(SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area(), reports)?;
            super::picture_file::write_text(path, &svg)
        }
        None => Err(ChartError::Kind),
    }
}

/// Width and height of the chart in pixels.
const CHART_SIZE: (u32, u32) = (900, 560);

/// Draws the chart on any plotters backend (the font must be registered).
fn draw<DB: plotters::prelude::DrawingBackend>(
    root: plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    reports: &[LatencyReport],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    use plotters::prelude::*;
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError::Draw(e.to_string());
    root.fill(&WHITE).map_err(err)?;
    let (device, rate) = reports.first().map(|r| (r.device.as_str(), r.sample_rate)).unwrap_or(("", 0));
    let title =
        if device.is_empty() { "Latency sweep".to_string() } else { format!("Latency sweep — {device}, {rate} Hz") };
    let root = root.titled(&title, (FONT, 22)).map_err(err)?;
    let (_, h) = root.dim_in_pixel();
    let (top, bottom) = root.split_vertically(h * 3 / 5);
    let names: Vec<String> = reports.iter().map(|r| r.buffer_frames.to_string()).collect();

    // The axis stops at 200 %: a hopeless buffer size must not flatten the others
    // (its bar is cut there and labelled with its value).
    let top_load = reports.iter().map(|r| r.load_p99 * 100.0).fold(100.0f64, f64::max).min(200.0);
    let max_load = top_load * 1.1;
    let mut chart =
        bar_chart(&top, "p99 callback load per buffer size (dashed: 70 % limit)", LOAD_LABEL, 6, max_load, &names)?;
    for (i, r) in reports.iter().enumerate() {
        let color = if r.xruns > 0 {
            RED
        } else if r.load_p99 < MAX_LOAD {
            GREEN
        } else {
            RGBColor(230, 160, 0)
        };
        let load = r.load_p99 * 100.0;
        let shown = if load.is_finite() { load.clamp(0.0, top_load) } else { top_load };
        chart.draw_series(std::iter::once(bar(i, shown, color))).map_err(err)?;
        if shown < load || !load.is_finite() {
            let label = Text::new(
                format!("{load:.0} %"),
                (SegmentValue::CenterOf(i), max_load),
                (FONT, 13).into_font().color(&BLACK).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                )),
            );
            chart.draw_series(std::iter::once(label)).map_err(err)?;
        }
    }
    // the 70 % line, dashed, in the plotting area's pixels
    let plot = chart.plotting_area();
    let (xr, yr) = plot.get_pixel_range();
    let (_, y) = plot.map_coordinate(&(SegmentValue::Exact(0), MAX_LOAD * 100.0));
    let y = y - yr.start;
    let width = xr.end - xr.start;
    let pixels = plot.strip_coord_spec();
    let mut x = 0;
    while x < width {
        pixels.draw(&PathElement::new(vec![(x, y), ((x + 8).min(width), y)], BLUE.stroke_width(2))).map_err(err)?;
        x += 16;
    }

    let max_x = reports.iter().map(|r| r.xruns).max().unwrap_or(0).max(4) as f64 * 1.1;
    let mut chart = bar_chart(&bottom, "Xruns per buffer size", XRUN_LABEL, 5, max_x, &names)?;
    chart.draw_series(reports.iter().enumerate().map(|(i, r)| bar(i, r.xruns as f64, RED))).map_err(err)?;
    root.present().map_err(err)
}

/// The coordinates of both charts: one segment per buffer size across, a
/// linear scale up.
type BarCoords = plotters::coord::cartesian::Cartesian2d<
    plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordusize>,
    plotters::coord::types::RangedCoordf64,
>;

/// One of the report's two bar charts on `area`: its caption, the buffer
/// sizes (`names`, one segment each) along x, 0..`y_max` up with `y_labels`
/// labels, axis titles and the mesh drawn.
fn bar_chart<'a, DB: plotters::prelude::DrawingBackend>(
    area: &'a plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    y_desc: &str,
    y_labels: usize,
    y_max: f64,
    names: &[String],
) -> Result<plotters::prelude::ChartContext<'a, DB, BarCoords>, ChartError>
where
    DB::ErrorType: 'static,
{
    use plotters::prelude::*;
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| ChartError::Draw(e.to_string());
    // segments 0..=last: one per report
    let last = names.len().saturating_sub(1);
    let name_of = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => names.get(*i).cloned().unwrap_or_default(),
        SegmentValue::Last => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((0..last).into_segmented(), 0.0..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(X_LABEL)
        .y_desc(y_desc)
        .y_labels(y_labels)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE)
        .x_label_formatter(&name_of)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// The bar of segment `i`, from 0 to `top`, in `color`.
fn bar(
    i: usize,
    top: f64,
    color: plotters::style::RGBColor,
) -> plotters::element::Rectangle<(plotters::coord::ranged1d::SegmentValue<usize>, f64)> {
    use plotters::prelude::*;
    let mut bar = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), top)], color.filled());
    bar.set_margin(0, 0, 12, 12);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::latency::tests::r;

    #[test]
    fn draws_png_and_svg_reports() {
        let dir = tempfile::tempdir().unwrap();
        let reports = [r(16, 3, 0.9), r(32, 0, 0.8), r(64, 0, 0.5), r(128, 0, 0.2)];
        for name in ["r.png", "r.svg"] {
            let p = dir.path().join(name);
            draw_report(&p, &reports).unwrap();
            assert!(std::fs::metadata(&p).unwrap().len() > 100);
        }
        assert!(draw_report(&dir.path().join("r.txt"), &reports).is_err());
        assert!(draw_report(&dir.path().join("empty.svg"), &[]).is_ok());
    }

    #[test]
    fn charts_carry_titles_and_axis_labels() {
        let dir = tempfile::tempdir().unwrap();
        let reports = [r(16, 3, 37.8), r(32, 0, 0.8), r(64, 0, 0.5), r(128, 0, 0.2)];
        let svg = dir.path().join("r.svg");
        draw_report(&svg, &reports).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        // a load off the axis (3780 %) is written above its cut bar
        for label in [X_LABEL, LOAD_LABEL, XRUN_LABEL, "Latency sweep", "128", "3780 %", "sans-serif"] {
            assert!(text.contains(label), "{label:?} missing from the SVG");
        }
        assert!(text.matches("<text").count() > 10);

        // the PNG's text is rasterised: the title band (no bars, no axes) has ink
        let png = dir.path().join("r.png");
        draw_report(&png, &reports).unwrap();
        if let Ok(keep) = std::env::var("COREMUSIC_KEEP_CHART") {
            std::fs::copy(&png, keep).unwrap();
        }
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
        let (w, h) = CHART_SIZE;
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            use plotters::prelude::*;
            let root = BitMapBackend::with_buffer(&mut rgb, CHART_SIZE).into_drawing_area();
            draw(root, &reports).unwrap();
        }
        // rows 0..24 hold only the title: any ink there is rasterised text
        let title_ink = rgb[..(w * 24 * 3) as usize].chunks(3).filter(|p| p.iter().any(|&c| c < 128)).count();
        assert!(title_ink > 200, "title band has {title_ink} dark pixels");
    }
}
