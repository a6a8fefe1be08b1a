"""Forwarding pages, under /staff/hotline/ (included by ``triage/urls.py``, in its namespace
"hotline-triage")."""

from django.urls import path

from sigurnet.hotline.forwarding import views

urlpatterns = [
    path("dispatches/", views.dispatch_list, name="dispatches"),
    path("dispatches/<int:pk>/", views.dispatch_detail, name="dispatch"),
    path("dispatches/<int:pk>/revoke/", views.revoke, name="dispatch-revoke"),
    path("dispatches/<int:pk>/new-link/", views.new_link, name="dispatch-new-link"),
    path("dispatches/<int:pk>/hold/", views.hold, name="dispatch-hold"),
    path("dispatches/<int:pk>/release-hold/", views.release_hold, name="dispatch-release-hold"),
    path("<str:key>/forward/", views.forward, name="forward"),
]
