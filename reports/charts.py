"""Charts of the pack as inline SVG (Chromium prints them as vectors; no chart library needed
for horizontal bars). Text is escaped; the numbers are the table's own values."""

from html import escape

from markupsafe import Markup

RAG_FILL = {"green": "#2e9d5b", "amber": "#e0a400", "red": "#d64541"}
DEFAULT_FILL = "#3f6fb5"


def bars(
    items: list[tuple[str, float | None, str | None]],
    unit: str = "",
    maximum: float | None = None,
    text: str = "{:,.0f}",
) -> Markup:
    """Horizontal bars, one per (label, value, rag-or-None), largest scale = maximum or the
    largest value. A missing value draws no bar and says 无数据."""
    row, label_w, bar_w, pad = 22, 150, 360, 6
    values = [v for _, v, _ in items if v is not None]
    top = maximum if maximum is not None else max(values, default=0) or 1
    height = row * len(items) + pad * 2
    width = label_w + bar_w + 90
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart" role="img">'
    )
    parts = [opening]
    for i, (label, value, rag) in enumerate(items):
        y = pad + i * row
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_w + 4}" y="{y + 15}" font-size="11" fill="#888">无数据</text>'
            )
            continue
        length = max(0.0, min(1.0, value / top)) * bar_w
        fill = RAG_FILL.get(rag or "", DEFAULT_FILL)
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{fill}"/>'
        )
        parts.append(
            f'<text x="{label_w + length + 4:.1f}" y="{y + 15}" font-size="11">'
            f"{escape(text.format(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
