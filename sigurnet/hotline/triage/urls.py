from django.urls import include, path

from sigurnet.hotline.forwarding import hosting_views
from sigurnet.hotline.triage import views

app_name = "hotline-triage"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("", include("sigurnet.hotline.forwarding.urls")),  # dispatches/, <key>/forward/
    # Before "<str:key>/": "items", "domains" and "settings" are never references.
    path("items/", views.items, name="items"),
    path("domains/", views.domains, name="domains"),
    path("settings/", views.hotline_settings, name="settings"),
    path("settings/legal-bases/", views.legal_bases, name="legal-bases"),
    path("items/<int:item_id>/duplicates/", views.item_duplicates, name="item-duplicates"),
    path("items/<int:item_id>/assess/", views.item_assess, name="item-assess"),
    path("domains/<str:index>/assess/", views.domain_assess, name="domain-assess"),
    path("<str:key>/", views.detail, name="detail"),
    path("<str:key>/claim/", views.claim, name="claim"),
    path("<str:key>/release/", views.release, name="release"),
    path("<str:key>/assign/", views.assign, name="assign"),
    path("<str:key>/assess/", views.assess, name="assess"),
    path("<str:key>/ask/", views.ask, name="ask"),
    path("<str:key>/feedback/", views.feedback, name="feedback"),
    path("<str:key>/confirm/", views.confirm, name="confirm"),
    path("<str:key>/dispute/", views.dispute, name="dispute"),
    path("<str:key>/urls/<int:position>/open/", views.open_url, name="open-url"),
    path("<str:key>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence"),
    path("<str:key>/items/<int:item_id>/look-up/", hosting_views.look_up_again, name="look-up"),
]
