"""Inline SVG pictures for the audit report: the estate map and the connectivity matrix.

Plain SVG text, no scripts and nothing fetched: the report must open offline, from an
email attachment or an evidence archive. Tooltips use SVG ``<title>``.
"""

from __future__ import annotations

from html import escape

from infra.audit.estate import Connectivity, Estate

COLOURS = {
    "self": "#e5e5e5",
    "platform": "#9ecae1",
    "agreement": "#31a354",
    "unapproved": "#de2d26",
}
FONT = "font-family='Helvetica,Arial,sans-serif'"
#: A white outline behind text drawn over lines, so labels stay legible.
HALO = "stroke='#ffffff' stroke-width='3' paint-order='stroke'"


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start", weight: str = "normal",
          extra: str = "") -> str:
    return (f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' font-weight='{weight}' "
            f"{FONT} {extra}>{escape(text)}</text>")


def estate_svg(estate: Estate) -> str:
    """Regions (boxes) with their clusters and trusts (dots), agreements as arcs between trusts."""
    regions = estate.regions
    management = [c for c in estate.clusters.values() if c.role == "management"]
    columns = max(1, min(4, len(regions)))
    box_width, per_row, cell_w, cell_h, pad = 300, 5, 56, 22, 12
    parts: list[str] = []
    positions: dict[str, tuple[float, float]] = {}
    top = 40 if management else 10
    if management:
        names = ", ".join(sorted(c.name for c in management))
        parts.append(f"<rect x='10' y='8' width='{columns * (box_width + 20) - 20}' height='24' rx='4' "
                     "fill='#fdd0a2' stroke='#a63603'/>")
        parts.append(_text(20, 25, f"National management cluster (Cluster API, security hub): {names}", 12,
                           weight="bold"))
    row_heights: list[float] = []
    layout = []
    for index, (region, clusters) in enumerate(regions.items()):
        trusts = sorted((t for t in estate.trusts.values() if t.cluster in {c.name for c in clusters}),
                        key=lambda t: t.ods)
        rows = max(1, -(-len(trusts) // per_row))
        height = 34 + 16 * len(clusters) + rows * cell_h + pad
        layout.append((index, region, clusters, trusts, height))
        if index % columns == 0:
            row_heights.append(height)
        else:
            row_heights[-1] = max(row_heights[-1], height)
    for index, region, clusters, trusts, height in layout:
        row, col = divmod(index, columns)
        x = 10 + col * (box_width + 20)
        y = top + sum(row_heights[:row]) + row * 20
        parts.append(f"<rect x='{x}' y='{y:.1f}' width='{box_width}' height='{row_heights[row]:.1f}' rx='6' "
                     "fill='#f7fbff' stroke='#4292c6'/>")
        parts.append(_text(x + 10, y + 18, f"Region {region}", 13, weight="bold"))
        for n, cluster in enumerate(clusters):
            version = f" ({cluster.version})" if cluster.version else ""
            parts.append(_text(x + 10, y + 34 + 16 * n, f"cluster {cluster.name}{version}", 11))
        grid_top = y + 34 + 16 * len(clusters)
        for n, trust in enumerate(trusts):
            r, c = divmod(n, per_row)
            cx, cy = x + 18 + c * cell_w, grid_top + r * cell_h + 6
            positions[trust.ods] = (cx, cy)
            parts.append(f"<g><title>{escape(trust.ods)}: {escape(trust.name)} ({escape(trust.namespace)}, "
                         f"{escape(trust.retention)})</title><circle cx='{cx:.1f}' cy='{cy:.1f}' r='5' "
                         "fill='#2171b5'/>" + _text(cx + 8, cy + 4, trust.ods, 10) + "</g>")
    total_height = top + sum(row_heights) + 20 * len(row_heights) + 10
    total_width = max(columns * (box_width + 20) + 10, 720)  # room for the legend
    for agreement in sorted(estate.agreements.values(), key=lambda a: a.id):
        a, b = positions.get(agreement.provider), positions.get(agreement.consumer)
        if not a or not b:
            continue
        colour = COLOURS["agreement"] if agreement.live else COLOURS["unapproved"]
        dash = "" if agreement.live else " stroke-dasharray='4 3'"
        mx, my = (a[0] + b[0]) / 2, min(a[1], b[1]) - 16 - abs(a[0] - b[0]) / 8
        # The curve's apex (t = 1/2 of the quadratic Bezier) carries the label.
        lx, ly = mx, 0.25 * a[1] + 0.5 * my + 0.25 * b[1] - 3
        parts.append(f"<g><title>{escape(agreement.id)}: {escape(agreement.consumer)} retrieves from "
                     f"{escape(agreement.provider)} ({escape(agreement.services)}), expires {escape(agreement.expires_on)}"
                     f"{'' if agreement.live else ' - NOT LIVE'}</title><path d='M{a[0]:.1f},{a[1]:.1f} "
                     f"Q{mx:.1f},{my:.1f} {b[0]:.1f},{b[1]:.1f}' fill='none' stroke='{colour}' stroke-width='2'"
                     f"{dash}/>" + _text(lx, ly, agreement.id, 9, "middle", extra=f"fill='{colour}' {HALO}") + "</g>")
    legend_y = total_height + 6
    parts.append(_text(10, legend_y, "Dots: trusts (ODS code). Arcs: data sharing agreements, green live, "
                       "red dashed expired or not yet approved. Hover for details.", 10))
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='Estate map' "
            f"width='{total_width}' height='{legend_y + 10:.0f}' viewBox='0 0 {total_width} {legend_y + 10:.0f}'>"
            + "".join(parts) + "</svg>")


def connectivity_svg(conn: Connectivity) -> str:
    """Source (rows) x destination (columns) matrix of allowed namespace flows."""
    names = conn.namespaces
    cell = 11
    label = max(60, 7 * max((len(n) for n in names), default=8))
    left, top = label + 10, label + 10
    size = len(names) * cell
    parts = [f"<rect x='{left}' y='{top}' width='{size}' height='{size}' fill='#ffffff' stroke='#bbbbbb'/>"]
    for i, name in enumerate(names):
        y = top + i * cell + cell - 2
        parts.append(_text(left - 4, y, name, 9, "end"))
        x = left + i * cell + cell - 3
        parts.append(f"<text x='{x}' y='{top - 4}' font-size='9' {FONT} transform='rotate(-60 {x} {top - 4})'>"
                     f"{escape(name)}</text>")
    for (source, target), flow in sorted(conn.flows.items()):
        i, j = names.index(source), names.index(target)
        note = f" under {flow.agreement}" if flow.agreement else ""
        parts.append(f"<rect x='{left + j * cell}' y='{top + i * cell}' width='{cell - 1}' height='{cell - 1}' "
                     f"fill='{COLOURS[flow.category]}'><title>{escape(source)} -&gt; {escape(target)}: "
                     f"{escape(flow.ports)} ({flow.category}{escape(note)})</title></rect>")
    legend_y = top + size + 18
    x = 10
    for category, text in (("platform", "platform flow"), ("agreement", "cross-trust, under a sharing agreement"),
                           ("unapproved", "cross-trust WITHOUT agreement"), ("self", "within a namespace")):
        parts.append(f"<rect x='{x}' y='{legend_y - 9}' width='10' height='10' fill='{COLOURS[category]}'/>")
        parts.append(_text(x + 14, legend_y, text, 10))
        x += 34 + 5.5 * len(text)
    width = max(left + size + 10, x)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' aria-label='Connectivity of {escape(conn.cluster)}' "
            f"width='{width}' height='{legend_y + 10}' viewBox='0 0 {width} {legend_y + 10}'>"
            + "".join(parts) + "</svg>")
