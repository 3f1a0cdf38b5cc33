"""Dashboard forms: they only turn the posted text into types. Every trading rule is the services'."""

from django import forms

from core.forms import DecimalField, IntegerField

from .models import OrderType, Product, Side, Validity
from .validation import OrderParams

PRICE_MESSAGES = {"invalid": "Enter a number, e.g. 1234.50."}


class _GroupedDecimalField(DecimalField):
    def to_python(self, value):
        # Traders paste amounts as they read them: 1,234.50.
        return super().to_python(value.replace(",", "").strip() if isinstance(value, str) else value)


class _PriceField(_GroupedDecimalField):
    def __init__(self, **kwargs):
        super().__init__(required=False, max_digits=16, decimal_places=4, error_messages=PRICE_MESSAGES, **kwargs)


class _QuantityField(IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": "Enter a whole number.", "required": "Enter a quantity."})
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value.replace(",", "").strip() if isinstance(value, str) else value)


class TicketForm(forms.Form):
    side = forms.ChoiceField(choices=Side.choices, error_messages={"required": "Choose BUY or SELL."})
    quantity = _QuantityField()
    order_type = forms.ChoiceField(choices=OrderType.choices, error_messages={"required": "Choose an order type."})
    product = forms.ChoiceField(choices=Product.choices, error_messages={"required": "Choose a product."})
    validity = forms.ChoiceField(choices=Validity.choices, required=False)
    price = _PriceField()
    trigger_price = _PriceField()

    def params(self) -> OrderParams:
        v = self.cleaned_data
        return OrderParams(
            side=v["side"],
            quantity=v["quantity"],
            order_type=v["order_type"],
            product=v["product"],
            validity=v["validity"] or Validity.DAY,
            price=v["price"],
            trigger_price=v["trigger_price"],
        )


class ModifyForm(forms.Form):
    quantity = _QuantityField(required=False)
    order_type = forms.ChoiceField(choices=OrderType.choices, required=False)
    price = _PriceField()
    trigger_price = _PriceField()

    def changes(self, order) -> dict:
        """Only what the trader changed or filled in; blank means "leave it as it is"."""
        data = self.cleaned_data
        current = {
            "quantity": order.quantity,
            "order_type": order.order_type,
            "price": order.price,
            "trigger_price": order.trigger_price,
        }
        return {
            field: data[field]
            for field in current
            if data.get(field) not in (None, "") and data[field] != current[field]
        }


class FundsForm(forms.Form):
    """Add or withdraw paper money. Only the parsing: the service checks the amount (with stable codes)."""

    direction = forms.ChoiceField(
        choices=[("deposit", "Add"), ("withdraw", "Withdraw")], error_messages={"required": "Add or withdraw?"}
    )
    amount = _GroupedDecimalField(
        error_messages={"invalid": "Enter an amount in rupees, e.g. 50,000.", "required": "Enter an amount."}
    )


class AccountOpenForm(forms.Form):
    """Open another paper account: a name and, optionally, what it starts with (the service checks both)."""

    name = forms.CharField(
        max_length=40, label="Name", error_messages={"required": "Give the account a name of 1 to 40 characters."}
    )
    starting_capital = _GroupedDecimalField(
        required=False,
        label="Starting capital ₹",
        error_messages={"invalid": "Enter an amount in rupees, e.g. 5,00,000."},
        # Text, as on the Funds page: traders write 5,00,000, which a number input refuses.
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "e.g. 5,00,000"}),
    )


class AccountRenameForm(forms.Form):
    name = forms.CharField(
        max_length=40, label="New name", error_messages={"required": "Give the account a name of 1 to 40 characters."}
    )
