from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

from sigurnet.api import api
from sigurnet.awareness.views import home
from sigurnet.core.handover_urls import link_patterns, partner_patterns
from sigurnet.core.health import healthz
from sigurnet.helpline.views import get_help
from sigurnet.hotline import views as hotline

urlpatterns: list[URLPattern | URLResolver] = [
    # For a monitoring system: no language prefix, no sign-in, no session (core/health.py).
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("staff/hotline/", include("sigurnet.hotline.triage.urls")),
    path("staff/stats/", include("sigurnet.stats.urls")),
    path("staff/", include("sigurnet.core.urls")),
    # Handovers (dispatches, referrals): the signed link, and contact persons with an account.
    path("handover/", include(link_patterns)),
    path("partner/", include(partner_patterns)),
    path("admin/", admin.site.urls),
]

urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("report/", hotline.report_step, {"step": "what"}, name="report"),
    path("report/where/", hotline.report_step, {"step": "where"}, name="report-where"),
    path("report/details/", hotline.report_step, {"step": "details"}, name="report-details"),
    path("report/you/", hotline.report_step, {"step": "you"}, name="report-you"),
    path("report/check/", hotline.report_check, name="report-check"),
    path("report/done/", hotline.report_done, name="report-done"),
    path("report/status/", hotline.status_lookup, name="report-status"),
    path("report/status/view/", hotline.status_view, name="report-status-view"),
    path("help/", get_help, name="get-help"),
    prefix_default_language=True,
)

if settings.DEBUG:
    # The quick start serves uploads (the logo) itself; production leaves that to nginx.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

# Error pages of the site, in the visitor's language (see core/errors.py).
handler400 = "sigurnet.core.errors.bad_request"
handler403 = "sigurnet.core.errors.permission_denied"
handler404 = "sigurnet.core.errors.page_not_found"
handler500 = "sigurnet.core.errors.server_error"
