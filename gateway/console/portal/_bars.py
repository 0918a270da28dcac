"""Small inline SVG bar charts (no chart library, no script): one bar per day."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.console.layout import esc

_HEIGHT = 40
_BAR = 12
_GAP = 4


def day_bars(days: Sequence[dict[str, object]], label: str) -> str:
    """Requests per day as bars, errors as a red part of each; ``label`` names the chart for
    screen readers, which also get the numbers in each bar's title."""
    peak = max((int(str(day["requests"])) for day in days), default=0)
    if peak == 0:
        return '<span class="muted">no requests</span>'
    bars = []
    for index, day in enumerate(days):
        requests, errors = int(str(day["requests"])), int(str(day["errors"]))
        x = index * (_BAR + _GAP)
        height = round(_HEIGHT * requests / peak)
        failed = round(_HEIGHT * errors / peak)
        bars.append(
            f'<g><title>{esc(day["date"])}: {requests} requests, {errors} errors</title>'
            f'<rect x="{x}" y="{_HEIGHT - height}" width="{_BAR}" height="{height}"></rect>'
            f'<rect class="err" x="{x}" y="{_HEIGHT - failed}" width="{_BAR}" '
            f'height="{failed}"></rect></g>')
    width = max(1, len(days) * (_BAR + _GAP))
    return (f'<svg class="bars" role="img" aria-label="{esc(label)}" width="{width}" '
            f'height="{_HEIGHT}" viewBox="0 0 {width} {_HEIGHT}">{"".join(bars)}</svg>')
