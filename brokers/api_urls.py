from django.urls import path

from . import api

urlpatterns = [
    path("broker-account/", api.BrokerAccountApi.as_view(), name="broker-account"),
    path("broker-account/connect/", api.BrokerAccountConnectApi.as_view(), name="broker-account-connect"),
    path("broker-account/disconnect/", api.BrokerAccountDisconnectApi.as_view(), name="broker-account-disconnect"),
]
