"""Charts drawn on the server as SVG with pygal, made safe to put inline in a staff page.

pygal always writes an inline ``<script>`` (its configuration for an optional JavaScript
front end) and a ``<style>``, plus comments naming its web site. The page needs none of it:
``clean_svg`` removes every script, style, comment and link, pygal's own ``<title>`` and
``<desc>`` (its tooltips, which need JavaScript), and every attribute that could load
something (``href``, ``style``). The colours come from ``static/css/stats.css`` instead
(the Content-Security-Policy allows no inline style). What is left is plain SVG with a
``<title>`` and a ``<desc>`` of our own, ``role="img"`` and ``aria-labelledby`` pointing to
them; the numbers themselves are in the table beside each chart.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence

import pygal
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from pygal.style import Style

# Removed with everything inside them.
DROPPED_ELEMENTS = frozenset({"script", "style", "title", "desc", "a", "image", "foreignObject"})
# Removed from every element: links, inline style (blocked by the CSP anyway), event handlers.
DROPPED_ATTRIBUTES = re.compile(r"^(href|style|on.*|xmlns(:.*)?|.*:href)$")
# The text size that stats.css gives every label (pygal lays the chart out for it).
FONT_SIZE = 13
# The number of colours that stats.css defines (``.color-0`` ...); series cycle through them.
COLOURS = 6

Series = tuple[str, Sequence[float | None]]


def _chart_class(horizontal: bool, stacked: bool) -> type[pygal.graph.graph.Graph]:
    if stacked:
        return pygal.HorizontalStackedBar if horizontal else pygal.StackedBar
    return pygal.HorizontalBar if horizontal else pygal.Bar


def count_format(value: float) -> str:
    """An axis value: a whole number with the language's digit grouping, else one decimal."""
    if float(value).is_integer():
        return number_format(int(value), force_grouping=True)
    return number_format(value, 1, force_grouping=True)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    horizontal: bool = False,
    stacked: bool = False,
    value_format: Callable[[float], str] = count_format,
    width: int = 640,
) -> SafeString:
    """A bar chart of ``series`` (name, one value per label) as inline SVG, with no script and
    no external resource. ``chart_id`` must be unique on the page; ``width`` is the width the
    chart is laid out for (its text is drawn at ``FONT_SIZE`` there), before it is scaled to
    its column."""
    rotate = not horizontal and len(labels) > 6
    config = pygal.Config(
        js=[],
        css=[],
        disable_xml_declaration=True,
        no_prefix=True,
        width=width,
        height=max(300, 34 * len(labels) + 120) if horizontal else 420,
        margin=16,
        spacing=12,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=min(len(series), 5),
        x_label_rotation=40 if rotate else 0,
        # Many months: a label for every year's first month shown (the table has them all).
        show_minor_x_labels=len(labels) <= 24 or horizontal,
        x_labels_major_every=12 if len(labels) > 24 and not horizontal else None,
        truncate_label=-1,
        truncate_legend=-1,
        value_formatter=value_format,
        no_data_text=gettext("No reports in this period"),
        # Only the layout reads these (text sizes, so that labels get room); the colours and
        # fonts come from stats.css, since the <style> pygal would write is removed.
        style=Style(
            colors=tuple(f"#{n:06x}" for n in range(COLOURS)),
            font_family="sans-serif",
            label_font_size=FONT_SIZE,
            major_label_font_size=FONT_SIZE,
            legend_font_size=FONT_SIZE,
            value_font_size=FONT_SIZE,
            title_font_size=FONT_SIZE,
            no_data_font_size=20,
        ),
        include_x_axis=True,
        print_values=False,
        show_y_guides=not horizontal,
        show_x_guides=horizontal,
    )
    if horizontal:
        # pygal draws the first label at the bottom; the table beside reads from the top.
        labels = list(reversed(labels))
        series = [(name, list(reversed(values))) for name, values in series]
    chart = _chart_class(horizontal, stacked)(config)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return clean_svg(chart.render(is_unicode=True), chart_id, title, description)


def clean_svg(svg: str, chart_id: str, title: str, description: str) -> SafeString:
    """pygal's SVG without script, style, comments or links; titled for assistive technology.
    ``ElementTree`` drops comments and processing instructions while parsing and escapes every
    text and attribute it writes."""
    root = ET.fromstring(svg)  # noqa: S314 - pygal's own output, not a visitor's document
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]  # plain <svg>: inline SVG needs no xmlns
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in DROPPED_ELEMENTS:
                parent.remove(child)
    for element in root.iter():
        for name in [n for n in element.attrib if DROPPED_ATTRIBUTES.match(n.rsplit("}", 1)[-1])]:
            del element.attrib[name]
        for name, value in list(element.attrib.items()):
            if "url(" in value or "//" in value:
                del element.attrib[name]
    root.attrib.update(
        {
            "id": chart_id,
            "class": "chart-svg",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        }
    )
    title_element = ET.Element("title", {"id": f"{chart_id}-title"})
    title_element.text = title
    desc_element = ET.Element("desc", {"id": f"{chart_id}-desc"})
    desc_element.text = description
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308 - serialised, escaped
