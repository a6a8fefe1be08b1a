"""URLs of a handover's recipient: ``/handover/<token>/`` (no account) and ``/partner/``
(role Partner contact). Mounted in ``sigurnet/urls.py``, outside the language prefixes: the
link page speaks the handover's language, the partner view the staff language."""

from django.urls import path

from sigurnet.core import handover_views

link_patterns = (
    [path("<str:token>/", handover_views.link_page, name="link")],
    "handover",
)
partner_patterns = (
    [
        path("", handover_views.partner_list, name="list"),
        path("<slug:slug>/<int:pk>/", handover_views.partner_detail, name="detail"),
    ],
    "partner",
)
