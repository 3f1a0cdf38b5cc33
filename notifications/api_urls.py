from django.urls import path

from core.routing import route

from . import api

urlpatterns = [
    path(
        "notifications/preferences/",
        route(get=api.PreferencesGetApi, put=api.PreferencesUpdateApi),
        name="notification-preferences",
    ),
]
