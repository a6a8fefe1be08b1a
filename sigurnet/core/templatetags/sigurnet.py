from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def in_script(value: object) -> str:
    """Show Latin-script text (names from the profile, the registry) in Cyrillic on /sr/."""
    text = "" if value is None else str(value)
    if get_language() == "sr":
        from sigurnet.core.script import latin_to_cyrillic

        return latin_to_cyrillic(text)
    return text


@register.filter
def tel_href(number: object) -> str:
    """A phone number as a tel: link target (digits and a leading plus only)."""
    text = str(number or "")
    return "tel:" + "".join(ch for ch in text if ch.isdigit() or ch == "+")


@register.filter
def entry(mapping: object, key: object) -> object:
    """``mapping[key]``, or an empty string when the mapping has no such key."""
    if isinstance(mapping, Mapping):
        return mapping.get(key, "")
    return ""


@register.inclusion_tag("includes/quick_exit.html")
def quick_exit() -> dict[str, str]:
    """The "Exit this page" link at the top of every public page (SIGURNET_QUICK_EXIT_URL)."""
    from django.conf import settings

    return {"url": settings.SIGURNET_QUICK_EXIT_URL}
