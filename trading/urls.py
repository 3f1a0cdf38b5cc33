from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.forms import AdminLoginForm
from core import views as core_views
from monitoring import performance as monitoring_performance
from monitoring import views as monitoring_views

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("marketdata.api_urls")),
    path("", include("brokers.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("strategies.api_urls")),
    path("", include("notifications.api_urls")),
]

# The split view serves its start-up script as a file: the page needs no inline script (CSP). Its
# template's one <style> block is allowed by its hash on this page only.
_api_docs = csp_update(
    {"style-src": ["'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"]},
    REPORT_ONLY=getattr(settings, "CONTENT_SECURITY_POLICY", None) is None,
)(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("", include("dashboard.urls")),
    path("favicon.ico", core_views.favicon),
    path("accounts/notifications/", include("notifications.urls")),
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
    path(
        "admin/performance/",
        admin.site.admin_view(monitoring_performance.admin_performance),  # staff only
        {"admin_site": admin.site},
        name="admin-performance",
    ),
    path("admin/", admin.site.urls),
    path("health/", include("monitoring.urls")),
    path("metrics", monitoring_views.metrics, name="metrics"),  # Prometheus; protected, see README
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", _api_docs, name="api-docs"),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

admin.site.login_form = AdminLoginForm  # rate limited and locked out like the other logins
admin.site.site_header = "Trading platform administration"
admin.site.site_title = "Trading admin"
