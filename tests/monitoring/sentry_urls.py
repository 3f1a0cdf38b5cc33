"""The product's URLs plus a test-only view that fails (tests/monitoring/test_sentry.py)."""

from django.urls import path

from trading.urls import urlpatterns as product_urlpatterns


def boom(request):
    raise RuntimeError("an unhandled error, on purpose")


urlpatterns = [path("test-only/boom", boom), *product_urlpatterns]
handler500 = "core.views.server_error"
