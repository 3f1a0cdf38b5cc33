from django.urls import path

from . import views

# The home page keeps its plain name ("dashboard"); the status strip keeps its path under /trading/.
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("trading/status/", views.status_partial, name="dashboard-status"),
]
