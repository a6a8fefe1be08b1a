from django.urls import path

from sigurnet.stats import views

app_name = "stats"

urlpatterns = [
    path("hotline/", views.hotline_figures, name="hotline"),
]
