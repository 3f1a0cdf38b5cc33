from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("api-keys/", views.api_keys_page, name="api-keys"),
    path("api-keys/new/", views.api_key_create_view, name="api-key-create"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
    path("security/", views.security_events_page, name="security"),
    path("trading-account/", views.account_switch_view, name="account-switch"),
]
