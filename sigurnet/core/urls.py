from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from sigurnet.core import views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/verify/", views.verify, name="verify"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("account/backup-codes/", views.new_backup_codes, name="backup-codes"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="staff/password_change.html", success_url="/staff/?password=changed"
        ),
        name="password-change",
    ),
    path("audit/", views.audit_log, name="audit"),
    # The staff pages have no language prefix: the switch on each sets the language cookie.
    path("language/", set_language, name="language"),
]
