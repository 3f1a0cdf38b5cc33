"""Every write in accounts, by responsibility: login.py (logging in, traders, JWT pairs), api_keys.py,
trading_accounts.py (opening, renaming, the default)."""

from .api_keys import api_key_authenticate, api_key_authorize, api_key_create, api_key_revoke
from .lockout import lockout_check, lockout_clear, lockout_locked_usernames, login_failure_record
from .login import (
    client_ip,
    token_pair_issue,
    token_pair_refresh,
    token_revoke,
    trader_create_or_update,
    user_authenticate,
)
from .trading_accounts import (
    trading_account_create,
    trading_account_make_default,
    trading_account_rename,
    trading_account_update,
)

__all__ = [
    "api_key_authenticate",
    "api_key_authorize",
    "api_key_create",
    "api_key_revoke",
    "client_ip",
    "lockout_check",
    "lockout_clear",
    "lockout_locked_usernames",
    "login_failure_record",
    "token_pair_issue",
    "token_pair_refresh",
    "token_revoke",
    "trader_create_or_update",
    "trading_account_create",
    "trading_account_make_default",
    "trading_account_rename",
    "trading_account_update",
    "user_authenticate",
]
