"""The trader's trading accounts under /api/v1/accounts/: list them, open another paper one, rename one or make
it the default, reset a paper one.

Here rather than in accounts: opening an account opens its funds, and resetting one cancels orders and
clears positions, which are the orders app's (accounts never imports orders).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKey, TradingAccount
from accounts.selectors import account_get_for_user, account_list_for_user
from accounts.services import trading_account_update
from core.api import DecimalInputField, OwnerAction, StrictSerializer, validated
from core.errors import RuleViolation
from core.schema import ERRORS

from .. import services


class AccountOutputSerializer(serializers.ModelSerializer):
    mode = serializers.ChoiceField(choices=TradingAccount.Mode.choices)
    is_default = serializers.BooleanField(help_text="The account a request without `X-Trading-Account` acts on.")

    class Meta:
        model = TradingAccount
        fields = ["id", "name", "mode", "broker", "is_default", "created_at"]


class AccountListApi(APIView):
    @extend_schema(
        operation_id="accounts_list",
        tags=["accounts"],
        responses={200: AccountOutputSerializer(many=True)},
        description="Your trading accounts, the default first. Send one's `id` as the `X-Trading-Account` "
        "header to act on it. With an API key: the accounts the key may act on.",
    )
    def get(self, request):
        accounts = list(account_list_for_user(user=request.user))
        if isinstance(request.auth, ApiKey):
            accounts = [account for account in accounts if request.auth.may_act_on(account)]
        return Response(AccountOutputSerializer(accounts, many=True).data)


class AccountCreateApi(APIView):
    owner_action = OwnerAction(what="open a trading account")

    class InputSerializer(StrictSerializer):
        mode = serializers.ChoiceField(
            choices=TradingAccount.Mode.choices, help_text="`paper`: `live` is refused here (see below)."
        )
        name = serializers.CharField(max_length=40, help_text="Unique among your accounts.")
        starting_capital = DecimalInputField(
            required=False,
            help_text="Rupees to open it with (and what a reset restores), more than 0 and at most 10 crore; "
            "absent: the starting paper capital a new account gets.",
        )

    @extend_schema(
        operation_id="accounts_create",
        tags=["accounts"],
        request=InputSerializer,
        responses={201: AccountOutputSerializer, 422: ERRORS[422]},
        description="Open another paper account, with `starting_capital` or the starting paper capital a new "
        "account gets. 422 `live_account_not_opened_here` for `mode: live` (a live account is a paper account "
        "switched with `POST /api/v1/account/mode/`), `account_name_taken`, `account_limit`; 400 `invalid_name`, "
        "`invalid_amount` (not a positive amount in rupees and paise), `amount_too_large`.",
    )
    def post(self, request):
        codes = {"name": "invalid_name", "mode": "invalid_mode", "starting_capital": "invalid_amount"}
        data = validated(self.InputSerializer, request.data, codes=codes)
        if data["mode"] != TradingAccount.Mode.PAPER:
            raise RuleViolation(
                "Open a paper account here; going live is a switch of an account's mode (POST /api/v1/account/mode/).",
                code="live_account_not_opened_here",
                field="mode",
            )
        account = services.paper_account_open(
            user=request.user, name=data["name"], starting_capital=data.get("starting_capital")
        )
        return Response(AccountOutputSerializer(account).data, status=status.HTTP_201_CREATED)


class AccountUpdateApi(APIView):
    # The default is what an API key made for no particular account acts on: choosing it is the owner's.
    owner_action = OwnerAction(what="rename an account or change the default account")

    class InputSerializer(StrictSerializer):
        min_fields = 1

        name = serializers.CharField(max_length=40, required=False, help_text="Unique among your accounts.")
        is_default = serializers.BooleanField(
            required=False,
            help_text="`true`: this account becomes your default (the previous one stops being it). `false` is "
            "accepted only for an account that is not the default.",
        )

    @extend_schema(
        operation_id="accounts_update",
        tags=["accounts"],
        request=InputSerializer,
        responses={200: AccountOutputSerializer, 404: ERRORS[404], 422: ERRORS[422]},
        description="Rename one of your accounts and/or make it your default; send at least one field. There is "
        "always exactly one default account: 422 `default_required` for `is_default: false` on the default "
        "(make another account the default instead), `account_name_taken`; 400 `invalid_name`, "
        "`invalid_is_default`, `no_changes` (an empty body); 404 `account_not_found`.",
    )
    def patch(self, request, account_id: int):
        account = account_get_for_user(user=request.user, account_id=account_id)
        codes = {"name": "invalid_name", "is_default": "invalid_is_default", "non_field_errors": "no_changes"}
        data = validated(self.InputSerializer, request.data, codes=codes)
        account = trading_account_update(
            user=request.user, account=account, name=data.get("name"), is_default=data.get("is_default")
        )
        return Response(AccountOutputSerializer(account).data)


class AccountResetApi(APIView):
    owner_action = OwnerAction(what="reset a paper account")

    class OutputSerializer(serializers.Serializer):
        account = AccountOutputSerializer()
        cash = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="The opening cash, restored.")

    @extend_schema(
        operation_id="accounts_reset",
        tags=["accounts"],
        request=None,
        responses={200: OutputSerializer, 404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422]},
        description="Reset a paper account: its working orders are cancelled, its positions cleared and its cash "
        "brought back to what it was opened with (a ledger row says so); orders, trades and the ledger stay as "
        "history. 422 `live_account_reset` for a live account; 409 `orders_still_open` while an order is still "
        "being cancelled (try again in a moment); 404 `account_not_found`.",
    )
    def post(self, request, account_id: int):
        account = account_get_for_user(user=request.user, account_id=account_id)
        entry = services.paper_account_reset(user=request.user, account=account)
        return Response(self.OutputSerializer({"account": account, "cash": entry.balance_after}).data)
