from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("marketdata.api_urls")),
    path("", include("orders.api_urls")),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("favicon.ico", views.favicon),
    path("accounts/", include("accounts.urls")),
    path("market/", include("marketdata.urls")),
    path("trading/", include("orders.urls")),
    path("admin/", admin.site.urls),
    path("health/", include("monitoring.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "trading.views.bad_request"
handler404 = "trading.views.not_found"
handler500 = "trading.views.server_error"

admin.site.site_header = "Trading platform administration"
admin.site.site_title = "Trading admin"
