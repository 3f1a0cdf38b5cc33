"""Authentication and profile endpoints under /api/v1/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictSerializer

from . import services


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
        "Failed attempts are rate limited per username and per address (`too_many_login_attempts`).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(request=request, **data.validated_data)
        return Response(services.token_pair_issue(user=user))


class TokenRefreshApi(APIView):
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
        description="Revoke a refresh token. Access tokens already issued expire on their own (minutes).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.token_revoke(raw_refresh=data.validated_data["refresh"], user=request.user)
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
