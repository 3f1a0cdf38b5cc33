from django.urls import path

from core.routing import route

from . import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", api.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout/", api.LogoutApi.as_view(), name="auth-logout"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("api-keys/", route(get=api.ApiKeyListApi, post=api.ApiKeyCreateApi), name="api-keys"),
    path("api-keys/<int:key_id>/", api.ApiKeyRevokeApi.as_view(), name="api-key"),
    path("security-events/", api.SecurityEventListApi.as_view(), name="security-events"),
]
