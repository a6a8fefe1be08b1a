"""``{% dispatch_replies dispatch as replies %}``: the e-mails kept with a dispatch, for the
include on its page (``hotline/forwarding/replies.html``), so that the page's view needs no
change to show them."""

from __future__ import annotations

from django import template

from sigurnet.hotline.forwarding.replies import replies_of
from sigurnet.hotline.models import Dispatch, DispatchReply

register = template.Library()


@register.simple_tag
def dispatch_replies(dispatch: Dispatch) -> list[DispatchReply]:
    return replies_of(dispatch)
