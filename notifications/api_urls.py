from django.urls import path

from core.routing import route

from . import api

urlpatterns = [
    path("notifications/", api.NotificationListApi.as_view(), name="notifications"),
    path("notifications/read/", api.NotificationReadApi.as_view(), name="notifications-read"),
    path(
        "notifications/preferences/",
        route(get=api.PreferencesGetApi, put=api.PreferencesUpdateApi),
        name="notification-preferences",
    ),
]
