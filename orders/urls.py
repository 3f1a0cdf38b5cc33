from django.urls import path  # noqa: F401 - dashboard pages for orders are added here

app_name = "orders"

urlpatterns: list = []
