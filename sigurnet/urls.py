from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

from sigurnet.awareness.views import home
from sigurnet.helpline.views import get_help
from sigurnet.hotline.views import report_start

urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/", include("sigurnet.core.urls")),
    path("admin/", admin.site.urls),
]

urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("report/", report_start, name="report"),
    path("help/", get_help, name="get-help"),
    prefix_default_language=True,
)

if settings.DEBUG:
    # The quick start serves uploads (the logo) itself; production leaves that to nginx.
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
