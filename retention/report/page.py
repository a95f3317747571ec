"""Assemble the report: one self-contained HTML page (inline CSS, SVG and JS)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from html import escape

from retention.report import data, svg
from retention.report.money import Currency
from retention.report.svg import PALETTE, Axis, Series


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    body: str | None  # None: not drawn
    missing: data.Missing | None = None

    def html(self) -> str:
        status = "drawn" if self.body is not None else "missing"
        content = (
            self.body
            if self.body is not None
            else f"<p class='not-built'>{escape(self.missing.note if self.missing else '')}</p>"
        )
        return (
            f"<section id='{self.key}' data-section='{self.key}' data-status='{status}'>"
            f"<h2>{escape(self.title)}</h2><p class='intro'>{self.intro}</p>{content}</section>"
        )


def _month(d: date) -> str:
    return d.strftime("%Y-%m")


def _ordinal_year(value: float) -> str:
    return str(date.fromordinal(round(value)).year)


def cohort_heatmap_section(matrix: data.CohortMatrix | data.Missing) -> Section:
    title = "Cohort retention"
    intro = (
        "Share of each acquisition cohort (customers by the month of their first purchase) "
        "who bought again <em>k</em> months later; all stores together. Month 0 is always "
        "100%; the colour scale covers months 1 and later."
    )
    if isinstance(matrix, data.Missing):
        return Section("cohort-heatmap", title, intro, None, matrix)
    index = {cohort: i for i, cohort in enumerate(matrix.cohorts)}
    values = {(index[c], k): rate for (c, k), rate in matrix.retention.items()}
    later = [rate for (_, k), rate in matrix.retention.items() if k >= 1]
    scale = max(later, default=1.0) or 1.0
    chart = svg.heatmap(
        "Retention rate by cohort month and months since first order",
        [_month(c) for c in matrix.cohorts],
        [str(k) for k in range(matrix.max_offset + 1)],
        values,
        x_title="months since first order",
        y_title="cohort month (first purchase)",
        scale_max=scale,
        fmt=lambda v: svg.percent(v, 1),
        legend_title="retention rate",
    )
    return Section("cohort-heatmap", title, intro, chart)


def cumulative_revenue_section(
    matrix: data.CohortMatrix | data.Missing, currency: Currency
) -> Section:
    title = "Cumulative net revenue per customer by cohort"
    intro = (
        "Net revenue a cohort brought in up to <em>k</em> months after acquisition, divided "
        "by its size: the cohort's realised CLV curve. One line per quarter-opening cohort "
        "(January, April, July, October) to keep the chart readable."
    )
    if isinstance(matrix, data.Missing):
        return Section("cumulative-revenue", title, intro, None, matrix)
    shown = [c for c in matrix.cohorts if c.month in (1, 4, 7, 10)] or matrix.cohorts
    series = []
    for i, cohort in enumerate(shown):
        points = sorted(
            (float(k), value) for (c, k), value in matrix.cumulative_revenue.items() if c == cohort
        )
        colour = svg.sequential_colour(0.25 + 0.75 * i / max(len(shown) - 1, 1))
        label = f"{_month(cohort)} (n={matrix.cohort_sizes[cohort]:,})"
        series.append(Series(label, points, colour))
    chart = svg.line_chart(
        "Cumulative net revenue per customer",
        series,
        x_axis=Axis("months since first order", lambda v: f"{v:.0f}", low=0.0),
        y_axis=Axis(
            f"net revenue per customer ({currency.label})",
            lambda v: svg.money(v, currency.symbol),
            low=0.0,
        ),
        width=820,
        height=380,
    )
    return Section("cumulative-revenue", title, intro, chart)


def industry_section(retention: data.IndustryRetention | data.Missing) -> Section:
    title = "Customer retention rate by industry segment vs benchmark"
    intro = (
        "CRR = (E \u2212 N) / S per complete year, the store counts of each segment summed "
        "(S: customers active on the day before the year, E: active on its last day, "
        "N: new in the year; active = a purchase in the last 365 days). The dashed line is "
        "the segment's published benchmark retention rate (industry seed, with its source "
        "in the dbt docs); none is drawn where no traceable figure exists."
    )
    if isinstance(retention, data.Missing):
        return Section("industry-retention", title, intro, None, retention)
    panels = []
    all_x = [start.toordinal() for points in retention.crr.values() for start, _ in points]
    lo, hi = (min(all_x), max(all_x)) if all_x else (0, 1)
    ys = [rate for points in retention.crr.values() for _, rate in points]
    ys += [b for b in retention.benchmark.values() if b is not None]
    y_high = max(max(ys, default=1.0), 0.5)
    years = sorted({date.fromordinal(x).year for x in all_x})
    ticks = [float(date(y, 1, 1).toordinal()) for y in years]
    pad = max((hi - lo) * 0.08, 30)
    for segment, points in sorted(retention.crr.items()):
        series = [Series("CRR", [(float(d.toordinal()), r) for d, r in points], PALETTE[0])]
        bench = retention.benchmark.get(segment)
        if bench is not None:
            series.append(
                Series("benchmark", [(lo - pad, bench), (hi + pad, bench)], PALETTE[5], True)
            )
        panels.append(
            svg.line_chart(
                segment if bench is not None else f"{segment} (no benchmark)",
                series,
                x_axis=Axis("year", _ordinal_year, low=lo - pad, high=hi + pad, ticks=ticks),
                y_axis=Axis("CRR", svg.percent, low=0.0, high=y_high),
                width=330,
                height=240,
                legend=False,
                markers=True,
            )
        )
    legend = svg.legend_strip([("CRR (complete years)", PALETTE[0], False),
                               ("industry benchmark", PALETTE[5], True)])  # fmt: skip
    body = legend + "<div class='grid'>" + "".join(panels) + "</div>"
    return Section("industry-retention", title, intro, body)


def clv_section(values: list[float] | data.Missing, currency: Currency) -> Section:
    title = "Predicted CLV distribution"
    intro = (
        "Predicted net revenue per customer over the CLV horizon (BG/NBD purchases \u00d7 "
        "Gamma-Gamma spend \u00d7 margin, discounted). The last bar collects the top 1%."
    )
    if isinstance(values, data.Missing):
        return Section("clv-distribution", title, intro, None, values)
    if not values:
        return Section("clv-distribution", title, intro, "<p>No customers.</p>")
    ordered = sorted(values)
    cap = ordered[min(len(ordered) - 1, math.floor(0.99 * len(ordered)))] or 1.0
    bins = 20
    width = cap / bins
    counts = [0] * bins
    for value in ordered:
        counts[min(int(value / width) if width else 0, bins - 1)] += 1
    labels = [f"{currency.format(i * width, 0)}\u2013{(i + 1) * width:,.0f}" for i in range(bins)]
    labels[-1] = f"≥ {currency.format((bins - 1) * width, 0)}"
    shares = [count / len(ordered) for count in counts]
    chart = svg.bar_chart(
        "Customers by predicted CLV",
        labels,
        [("share of customers", shares, PALETTE[0])],
        value_axis=Axis("share of customers", lambda v: svg.percent(v, 1)),
        category_title=f"predicted CLV ({currency.label})",
        width=720,
    )
    mean = sum(ordered) / len(ordered)
    median = ordered[len(ordered) // 2]
    stats = (
        f"<p>{len(ordered):,} customers; mean {currency.format(mean)}, "
        f"median {currency.format(median)}, 99th percentile {currency.format(cap)}.</p>"
    )
    return Section("clv-distribution", title, intro, chart + stats)


def survival_section(curve: data.SurvivalCurve | data.Missing) -> Section:
    title = "Customer survival: observed, fitted and forecast"
    intro = (
        "Share of customers whose first activity span (purchases up to the first gap longer "
        "than the active window) is still going <em>k</em> survival periods (default: years) "
        "after their first purchase, all stores and cohorts together. <em>Observed</em>: the "
        "cohorts old enough to show period <em>k</em>. <em>sBG model</em>: the stores' "
        "shifted-beta-geometric curves (Fader &amp; Hardie 2007) weighted by cohort size. "
        "<em>Observed + forecast</em>: every cohort, its own count where observed, else its "
        "sBG forecast."
    )
    if isinstance(curve, data.Missing):
        return Section("survival-forecast", title, intro, None, curve)
    chart = svg.line_chart(
        "Survival by periods since first purchase",
        [
            Series("observed", [(float(k), v) for k, v in curve.observed], PALETTE[0]),
            Series("sBG model", [(float(k), v) for k, v in curve.fitted], PALETTE[1], True),
            Series("observed + forecast", [(float(k), v) for k, v in curve.projected], PALETTE[2]),
        ],
        x_axis=Axis("survival periods since first purchase", lambda v: f"{v:.0f}", low=0.0),
        y_axis=Axis("share of customers surviving", svg.percent, low=0.0, high=1.0),
        width=820,
        height=360,
        markers=True,
    )
    return Section("survival-forecast", title, intro, chart)


def calibration_section(points: list[data.CalibrationPoint] | data.Missing) -> Section:
    title = "Next-purchase outlook: predicted vs actual"
    intro = (
        "Customers ranked by their predicted probability of buying within 30 or 90 days "
        "(BG/NBD) into ten equal groups per segment; each point is a group: its mean "
        "prediction against the share that did buy in the holdout after the as-of date. "
        "On the diagonal the prediction is calibrated."
    )
    if isinstance(points, data.Missing):
        return Section("next-purchase-calibration", title, intro, None, points)
    series = [
        Series(
            f"{horizon} days",
            [(p.predicted, p.actual) for p in points if p.horizon_days == horizon],
            PALETTE[i],
        )
        for i, horizon in enumerate(sorted({p.horizon_days for p in points}))
    ]
    top = max(max(p.predicted for p in points), max(p.actual for p in points), 0.1)
    series.append(Series("perfect calibration", [(0.0, 0.0), (top, top)], PALETTE[8], True))
    chart = svg.line_chart(
        "Share that bought vs predicted probability, by decile",
        series,
        x_axis=Axis("predicted probability of a purchase", svg.percent, low=0.0, high=top),
        y_axis=Axis("share that bought", svg.percent, low=0.0, high=top),
        width=720,
        height=400,
        markers=True,
    )
    rows = "".join(
        f"<tr><td>{p.horizon_days}</td><td>{p.decile}</td><td>{p.customers:,}</td>"
        f"<td>{p.predicted:.1%}</td><td>{p.actual:.1%}</td></tr>"
        for p in points
    )
    table = (
        "<table class='numbers' data-table='calibration'><thead><tr><th>horizon (days)</th>"
        "<th>decile</th><th>customers</th><th>predicted</th><th>bought</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return Section("next-purchase-calibration", title, intro, chart + table)


def scenarios_section(scenarios: list[data.Scenario] | data.Missing, currency: Currency) -> Section:
    title = "What more retention is worth"
    intro = (
        "All stores together: active customers and net revenue if each store's yearly "
        "customer retention rate rose by the given points, from its trailing twelve months "
        "(monthly retention = yearly<sup>1/12</sup>, new customers and revenue per active "
        "customer held constant; undiscounted). 0 points is the unchanged projection."
    )
    if isinstance(scenarios, data.Missing):
        return Section("retention-scenarios", title, intro, None, scenarios)
    horizons = sorted({s.horizon_months for s in scenarios})
    uplifts = sorted({s.uplift_points for s in scenarios if s.uplift_points > 0})
    by_key = {(s.uplift_points, s.horizon_months): s for s in scenarios}
    chart = svg.bar_chart(
        "Net revenue gain vs unchanged retention",
        [f"+{u:g} points" for u in uplifts],
        [
            (
                f"{h} months",
                [by_key[(u, h)].net_revenue_gain_vs_unchanged for u in uplifts],
                PALETTE[i],
            )
            for i, h in enumerate(horizons)
        ],
        value_axis=Axis(
            f"net revenue gain ({currency.label})", lambda v: svg.money(v, currency.symbol)
        ),
        category_title="yearly CRR uplift",
        width=720,
    )
    rows = "".join(
        f"<tr data-scenario='{s.uplift_points:g}-{s.horizon_months}'>"
        f"<td>+{s.uplift_points:g}</td><td>{s.horizon_months}</td>"
        f"<td>{s.projected_active_customers:,.0f}</td>"
        f"<td>{currency.format(s.projected_net_revenue, 0)}</td>"
        f"<td>{currency.format(s.projected_gross_margin, 0)}</td>"
        f"<td>{currency.format(s.net_revenue_gain_vs_unchanged, 0)}</td></tr>"
        for s in scenarios
    )
    table = (
        "<table class='numbers' data-table='scenarios'><thead><tr><th>CRR uplift (points)</th>"
        "<th>horizon (months)</th><th>active customers at the end</th><th>net revenue</th>"
        "<th>gross margin</th><th>gain vs unchanged</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return Section("retention-scenarios", title, intro, chart + table)


def segments_section(segments: list[data.Segment] | data.Missing, currency: Currency) -> Section:
    title = "RFM segments: size and value"
    intro = (
        "Customers by RFM segment (recency, frequency and monetary quintiles within each "
        "store), all stores together: share of customers against share of net revenue."
    )
    if isinstance(segments, data.Missing):
        return Section("rfm-segments", title, intro, None, segments)
    names = [s.name for s in segments]
    chart = svg.bar_chart(
        "Share of customers and of net revenue by RFM segment",
        names,
        [
            ("share of customers", [s.share_of_customers for s in segments], PALETTE[0]),
            ("share of net revenue", [s.share_of_revenue for s in segments], PALETTE[1]),
        ],
        value_axis=Axis("share", svg.percent),
        category_title="RFM segment",
        width=720,
    )
    rows = "".join(
        f"<tr><td>{escape(s.name)}</td><td>{s.customers:,}</td>"
        f"<td>{s.share_of_customers:.1%}</td><td>{currency.format(s.net_revenue, 0)}</td>"
        f"<td>{s.share_of_revenue:.1%}</td><td>"
        f"{'—' if s.average_predicted_clv is None else currency.format(s.average_predicted_clv)}"
        "</td></tr>"
        for s in segments
    )
    table = (
        "<table class='numbers'><thead><tr><th>segment</th><th>customers</th>"
        "<th>share of customers</th><th>net revenue</th><th>share of revenue</th>"
        f"<th>average predicted CLV</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return Section("rfm-segments", title, intro, chart + table)


def kpi_section(kpis: list[data.Kpi]) -> Section:
    rows = []
    for kpi in kpis:
        if kpi.missing is not None:
            value = f"<span class='not-built'>{escape(kpi.missing.note)}</span>"
        else:
            value = escape(kpi.value)
        rows.append(
            f"<tr data-kpi='{escape(kpi.name)}'><th>{escape(kpi.name)}</th>"
            f"<td class='value'>{value}</td><td>{escape(kpi.detail)}</td></tr>"
        )
    body = (
        "<table class='kpis'><thead><tr><th>KPI</th><th>value</th><th>how</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    intro = (
        "Headline numbers over all stores. Formulas: dbt docs (<code>make docs</code>), "
        "overview page."
    )
    return Section("kpis", "Key performance indicators", intro, body)


CSS = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; }
.intro { color: #555; max-width: 820px; }
.not-built { color: #a33; background: #fdf0f0; padding: 6px 10px; border-radius: 4px; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { border-bottom: 1px solid #eee; padding: 4px 10px; text-align: left; }
td.value, table.numbers td { font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
svg.chart { background: #fff; max-width: 100%; height: auto; }
.meta { color: #777; font-size: 13px; }
"""

# Records script errors on the page itself (tests read them from the DOM) and
# counts the charts that rendered with a non-empty size.
SCRIPT = """
window.__reportErrors = [];
window.addEventListener('error', function (e) {
  window.__reportErrors.push(String(e.message));
  document.documentElement.setAttribute('data-js-errors', window.__reportErrors.join(' | '));
});
document.addEventListener('DOMContentLoaded', function () {
  var drawn = 0;
  document.querySelectorAll('svg.chart').forEach(function (chart) {
    var box = chart.getBoundingClientRect();
    if (box.width > 0 && box.height > 0) { drawn += 1; }
  });
  document.documentElement.setAttribute('data-charts-drawn', String(drawn));
  document.documentElement.setAttribute('data-heatmap-cells',
    String(document.querySelectorAll('rect.heatmap-cell').length));
});
"""


def render(marts: data.Marts, warehouse_name: str) -> tuple[str, list[str]]:
    """The page and the titles of the sections that could not be drawn."""
    matrix = data.cohort_matrix(marts)
    sections = [
        kpi_section(data.kpis(marts)),
        cohort_heatmap_section(matrix),
        industry_section(data.industry_retention(marts, "year")),
        cumulative_revenue_section(matrix, marts.currency),
        clv_section(data.predicted_clv(marts), marts.currency),
        segments_section(data.rfm_segments(marts), marts.currency),
        survival_section(data.survival_curve(marts)),
        calibration_section(data.next_purchase_calibration(marts)),
        scenarios_section(data.retention_scenarios(marts), marts.currency),
    ]
    as_of = data.as_of_date(marts)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")  # noqa: UP017
    missing = [s.title for s in sections if s.body is None]
    status = (
        f"<p class='not-built'>Sections not built yet: {escape(', '.join(missing))}.</p>"
        if missing
        else ""
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Customer retention report</title><style>{CSS}</style>"
        f"<script>{SCRIPT}</script></head><body>"
        "<h1>Customer retention report</h1>"
        f"<p class='meta'>Data as of {as_of or 'n/a'} · warehouse {escape(warehouse_name)} · "
        f"generated {generated} · money in {marts.currency.label} (reporting currency)</p>{status}"
        + "".join(section.html() for section in sections)
        + "</body></html>"
    )
    return page, missing
