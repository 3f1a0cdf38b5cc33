"""The one vocabulary of orders: the orders app's model choices, every broker's requests, risk's checks.

In the kernel because the layers that speak it (orders, risk, brokers, strategies) must not import each
other for it.
"""

from django.db import models


class Side(models.TextChoices):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(models.TextChoices):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    SL = "SL"
    SL_M = "SL-M"


class Product(models.TextChoices):
    CNC = "CNC", "CNC (delivery)"
    MIS = "MIS", "MIS (intraday)"
    NRML = "NRML", "NRML (carry forward, F&O)"


class Validity(models.TextChoices):
    DAY = "DAY"
    IOC = "IOC"
