from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import views as core_views
from monitoring import views as monitoring_views
from orders import views as orders_views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("marketdata.api_urls")),
    path("", include("brokers.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("strategies.api_urls")),
]

urlpatterns = [
    path("", orders_views.dashboard, name="dashboard"),
    path("favicon.ico", core_views.favicon),
    path("accounts/", include("accounts.urls")),
    path("market/", include("marketdata.urls")),
    path("trading/", include("orders.urls")),
    path("strategies/", include("strategies.urls")),
    path(
        "admin/health/",
        admin.site.admin_view(monitoring_views.admin_health),  # staff only
        {"admin_site": admin.site},
        name="admin-health",
    ),
    path("admin/", admin.site.urls),
    path("health/", include("monitoring.urls")),
    path("metrics", monitoring_views.metrics, name="metrics"),  # Prometheus; protected, see README
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

admin.site.site_header = "Trading platform administration"
admin.site.site_title = "Trading admin"
