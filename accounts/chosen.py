"""Which of the trader's accounts a request acts on, decided once per request and kept on it.

The API reads the `X-Trading-Account: <id>` header (absent: the trader's default account); the
dashboard keeps the trader's choice in the session (the switcher in the top bar). Another user's
account, or one that does not exist, is a 404 `account_not_found`; a malformed id a 400. An API key
acts only on the accounts it was made for (403 `api_key_account_not_allowed`; without the header, on the
one it was made for), and a paper-only key changes nothing on a live account.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated

from core.errors import NotFound
from core.inputs import INT_MAX, digits_only

from .errors import AccountHeaderInvalid, ApiKeyAccountNotAllowed, ApiKeyLiveNotAllowed
from .models import ApiKey, TradingAccount
from .selectors import account_get_for_user, default_account_for

HEADER = "X-Trading-Account"
SESSION_KEY = "trading_account_id"
_UNSET = object()


def _header_id(request) -> int | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    raw = raw.strip()
    if not digits_only(raw) or len(raw) > 19 or not 1 <= int(raw) <= INT_MAX:
        raise AccountHeaderInvalid()
    return int(raw)


def _session_id(request) -> int | None:
    session = getattr(request, "session", None)
    value = session.get(SESSION_KEY) if session is not None else None
    return value if isinstance(value, int) else None


def api_account_choose(request) -> TradingAccount | None:
    """The account an API request acts on (None: the trader has none yet), checked against an API key."""
    user = request.user
    key = request.auth if isinstance(request.auth, ApiKey) else None
    account_id = _header_id(request)
    if account_id is None and key is not None and key.account_ids:
        account_id = key.account_ids[0]  # a key that names no account acts on the one it was made for
    if account_id is None:
        account = default_account_for(user)
    else:
        account = account_get_for_user(user=user, account_id=account_id)
    if key is not None and account is not None:
        if not key.may_act_on(account):
            raise ApiKeyAccountNotAllowed()
        changes = request.method.upper() not in SAFE_METHODS
        if changes and not key.live_allowed and _mode_now(account) == TradingAccount.Mode.LIVE:
            raise ApiKeyLiveNotAllowed()
    return account


def _mode_now(account: TradingAccount) -> str | None:
    # Read fresh, not from the per-process cache: a switch to live counts from the next request.
    return TradingAccount.objects.filter(pk=account.pk).values_list("mode", flat=True).first()


def dashboard_account(request) -> TradingAccount | None:
    """The account the dashboard shows: the one chosen in the switcher, else the default (kept on the request)."""
    account = getattr(request, "_trading_account", _UNSET)
    if account is _UNSET:
        account = None
        chosen = _session_id(request)
        if chosen is not None:
            try:
                account = account_get_for_user(user=request.user, account_id=chosen)
            except NotFound:
                request.session.pop(SESSION_KEY, None)  # gone or not theirs: back to the default
        account = account or default_account_for(request.user)
        request._trading_account = account
    return account


def dashboard_account_choose(request, account_id: int) -> TradingAccount:
    """The switcher's choice, kept in the session: one of the user's accounts (else 404 `account_not_found`)."""
    account = account_get_for_user(user=request.user, account_id=account_id)
    request.session[SESSION_KEY] = account.pk
    request._trading_account = account
    return account


def request_account(request) -> TradingAccount | None:
    """The account this request acts on, as chosen for it (API: by AccountChosen; dashboard: the session)."""
    account = getattr(request, "_trading_account", _UNSET)
    if account is _UNSET:
        return dashboard_account(request)
    return account


def request_account_required(request) -> TradingAccount:
    account = request_account(request)
    if account is None:
        raise NotFound("You have no trading account yet.", code="no_trading_account")
    return account


ACCOUNT_HEADER = OpenApiParameter(
    HEADER,
    {"type": "integer", "minimum": 1, "maximum": INT_MAX},
    OpenApiParameter.HEADER,
    required=False,
    description="The id of the trading account to act on (`GET /api/v1/accounts/`); absent: your default "
    "account. Another user's or an unknown id: 404 `account_not_found`; not a whole number: 400 "
    "`invalid_account_header`; an API key made for other accounts: 403 `api_key_account_not_allowed`.",
)


class AccountChosen(IsAuthenticated):
    """The API's default permission: authenticated, and the account it acts on chosen (once) and allowed."""

    schema_parameters = (ACCOUNT_HEADER,)  # documented on every operation it guards (core.schema)

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # a method this view does not answer: DRF's 405 follows, whatever the header says
        request._trading_account = api_account_choose(request)
        return True
