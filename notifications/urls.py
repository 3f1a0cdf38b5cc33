from django.urls import path

from . import views

app_name = "notifications"

# Under /accounts/ (trading/urls.py), where the trader's settings pages are.
urlpatterns = [
    path("", views.notifications_page, name="preferences"),
    path("test/", views.notifications_test, name="test"),
]
