"""Authentication and profile endpoints under /api/v1/."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken

from core import clock
from core.api import IntegerInputField, OwnerAction, StrictSerializer, validated
from core.schema import ERRORS

from . import selectors, services
from .chosen import request_account
from .models import ApiKey, SecurityEvent


class TokenObtainApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField(help_text="Short-lived access token: `Authorization: Bearer <access>`.")
        refresh = serializers.CharField(help_text="Longer-lived, single-use refresh token.")

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        request=InputSerializer,
        responses={200: OutputSerializer},
        auth=[],
        description="Exchange a username and password for a JWT pair. "
        "Attempts are limited per address and per username from one address, and wrong passwords slow down "
        "the address they come from (429 `too_many_login_attempts`, with Retry-After); failures from many "
        "addresses lock the account for a while, doubling with each lock (429 `account_locked`, with "
        "Retry-After).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request, **data.validated_data)
        return Response(services.token_pair_issue(user=user))


class TokenRefreshApi(APIView):
    rate_limit_group = "token-refresh"  # per address: the caller is known only from the token
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="auth_token_refresh",
        tags=["auth"],
        request=InputSerializer,
        responses={200: TokenObtainApi.OutputSerializer},
        auth=[],
        description="Rotate a refresh token: returns a new pair; the old refresh token stops working "
        "(`token_blacklisted`).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.token_pair_refresh(raw_refresh=data.validated_data["refresh"]))


class LogoutApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(StrictSerializer):
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=InputSerializer,
        responses={204: None},
        description="Log out: revokes the refresh token and every other of its login, and refuses the login's "
        "access tokens (and the one this call is made with) from now on (401 `token_blacklisted`).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = request.auth if isinstance(request.auth, AccessToken) else None
        services.token_revoke(raw_refresh=data.validated_data["refresh"], user=request.user, access=access)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.EmailField(allow_blank=True, help_text="Empty when none was given.")
        first_name = serializers.CharField(allow_blank=True)
        last_name = serializers.CharField(allow_blank=True)
        is_staff = serializers.BooleanField()
        date_joined = serializers.DateTimeField()
        last_login = serializers.DateTimeField(allow_null=True)

    @extend_schema(operation_id="me", tags=["auth"], responses={200: OutputSerializer})
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)


# --- API keys ------------------------------------------------------------------------------------

NAME_VALIDATOR = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$", "Letters, digits, spaces, '.', '_' and '-'.")
ADDRESS_VALIDATOR = RegexValidator(r"^[0-9A-Fa-f:./]+$", "An IP address or CIDR network, e.g. 203.0.113.0/24.")
# Managing keys needs a login: a key that could make keys could outlive its own revocation.
MANAGING_KEYS = OwnerAction(what="manage API keys", reads=True)


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKey.Scope.choices))
    allowed_ips = serializers.ListField(child=serializers.CharField(), help_text="Empty: any address.")
    account_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The trading accounts it may act on (the one it was made for); empty: your default account.",
    )
    status = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "account_ids", "live_allowed", "expires_at", "allowed_ips"]
        fields += ["last_used_at", "last_used_ip", "revoked_at", "created_at", "status"]

    def get_status(self, key: ApiKey) -> str:  # "active", "expired" or "revoked"
        return key.status_at(clock.now())


class ApiKeyCreatedSerializer(ApiKeyOutputSerializer):
    key = serializers.SerializerMethodField(help_text="The key itself: shown this once, never stored.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]

    def get_key(self, key: ApiKey) -> str:
        return self.context["raw_key"]


class ApiKeyListApi(ListAPIView):
    owner_action = MANAGING_KEYS
    serializer_class = ApiKeyOutputSerializer

    @extend_schema(operation_id="api_keys_list", tags=["api-keys"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.api_key_list_for_user(user=self.request.user)


class ApiKeyCreateApi(APIView):
    owner_action = MANAGING_KEYS

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=64, validators=[NAME_VALIDATOR], help_text="Unique among your keys.")
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=ApiKey.Scope.choices), min_length=1, max_length=len(ApiKey.Scope)
        )
        live_allowed = serializers.BooleanField(default=False, help_text="False: paper only.")
        expires_in_days = IntegerInputField(
            min_value=1, max_value=3650, required=False, allow_null=True, help_text="Omit or null: never."
        )
        allowed_ips = serializers.ListField(
            child=serializers.CharField(max_length=49, validators=[ADDRESS_VALIDATOR]), max_length=20, default=list
        )

    @extend_schema(
        operation_id="api_keys_create",
        tags=["api-keys"],
        request=InputSerializer,
        responses={201: ApiKeyCreatedSerializer, 422: ERRORS[422]},
        description="Make a key. The response holds the key itself (`key`) this once: only its SHA-256 digest "
        "is stored. The key acts on the trading account it is made for (the `X-Trading-Account` of this "
        "request, else your default). Every key reads; `trade` lets it change things; `account` lets it change "
        "the broker credentials and where notifications go. 400 `invalid_name`, `invalid_scope`; "
        "422 `api_key_name_taken`, `invalid_ip`, `api_key_limit`.",
    )
    def post(self, request):
        codes = {"name": "invalid_name", "scopes": "invalid_scope"}
        data = validated(self.InputSerializer, request.data, codes=codes)
        key, raw_key = services.api_key_create(user=request.user, account=request_account(request), **data)
        body = ApiKeyCreatedSerializer(key, context={"raw_key": raw_key}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    owner_action = MANAGING_KEYS

    @extend_schema(
        operation_id="api_keys_revoke",
        tags=["api-keys"],
        responses={204: None},
        description="Revoke a key: from the next request it is refused (401 `api_key_revoked`). Idempotent.",
    )
    def delete(self, request, key_id: int):
        services.api_key_revoke(user=request.user, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Security events ---------------------------------------------------------------------------


class SecurityEventListApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        kind = serializers.ChoiceField(choices=SecurityEvent.Kind.choices)
        detail = serializers.DictField(help_text="What the event adds: how one logged in, which key, which broker.")

        class Meta:
            model = SecurityEvent
            fields = ["id", "created_at", "kind", "ip", "user_agent", "request_id", "detail"]

    serializer_class = OutputSerializer

    @extend_schema(
        operation_id="security_events_list",
        tags=["auth"],
        description="Your own security events, newest first: logins (and failed ones), logouts, token refreshes, "
        "password changes, API keys, broker connections, paper/live switches, kill switches.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.security_event_list_for_user(user=self.request.user)
