"""The SmartAPI session of one account, shared by every process through the BrokerAccount row.

A process keeps the session it last used in memory. When the broker says the
token is invalid or expired, it first looks at the row (another process may
have renewed it already), then renews with the refresh token, then logs in
with PIN and TOTP, all under the row's lock so that only one process logs in.
A session belongs to one IST day: the first call after midnight logs in anew.
Credentials that no longer work mark the account disconnected, with the
broker's message, and every call fails with `broker_session_expired` until
someone logs in again.
"""

import binascii
import logging
from dataclasses import dataclass
from datetime import date

import pyotp
from django.db import transaction
from django.db.models import F

from core import clock, events
from core.clock import IST

from ..events import BrokerSessionExpired
from ..models import BrokerAccount
from .errors import AngelError, AuthError, RefreshInvalid, SessionExpired, TokenInvalid

logger = logging.getLogger(__name__)


def today_ist() -> date:
    return clock.now().astimezone(IST).date()


@dataclass(frozen=True, slots=True)
class Session:
    jwt: str
    refresh: str
    feed: str
    day: date
    version: int

    @classmethod
    def from_row(cls, row: BrokerAccount) -> "Session":
        return cls(row.jwt_token, row.refresh_token, row.feed_token, row.session_day, row.session_version)


def _usable(row: BrokerAccount) -> bool:
    return row.status == BrokerAccount.Status.CONNECTED and bool(row.jwt_token) and row.session_day == today_ist()


class SessionStore:
    def __init__(self, client) -> None:
        self.client = client  # SmartApiClient: send() and the account's credentials
        self._session: Session | None = None

    @property
    def account_id(self) -> int:
        return self.client.account.pk

    def current(self) -> Session:
        session = self._session
        if session is not None and session.day == today_ist():
            return session
        row = BrokerAccount.objects.get(pk=self.account_id)
        if row.status == BrokerAccount.Status.DISCONNECTED:
            raise _expired(row.status_message)
        if _usable(row):
            self._session = Session.from_row(row)
            return self._session
        return self.establish(stale_version=row.session_version)

    def renew(self, stale: Session) -> Session:
        """The broker refused `stale`: adopt a newer session, refresh it, or log in again."""
        return self.establish(stale_version=stale.version, may_refresh=stale.day == today_ist())

    def establish(self, *, stale_version: int | None, may_refresh: bool = False, force: bool = False) -> Session:
        with transaction.atomic():
            row = BrokerAccount.objects.select_for_update().get(pk=self.account_id)
            self.client.account = row  # credentials as they are now
            if row.status == BrokerAccount.Status.DISCONNECTED and not force:
                failure: AngelError | None = _expired(row.status_message)
            elif not force and row.session_version != stale_version and _usable(row):
                failure = None  # another process renewed it while we waited for the lock
            else:
                failure = self._renew_locked(row, may_refresh=may_refresh)
        if failure is not None:
            self._session = None
            raise failure
        self._session = Session.from_row(row)
        return self._session

    def _renew_locked(self, row: BrokerAccount, *, may_refresh: bool) -> AngelError | None:
        if may_refresh and row.refresh_token:
            try:
                data = self.client.send_refresh(row.refresh_token, row.jwt_token)
                _store(row, data, fallback_refresh=row.refresh_token, fallback_feed=row.feed_token)
                logger.info("angelone %s: session refreshed", row.client_code)
                return None
            except (RefreshInvalid, TokenInvalid):
                pass  # log in afresh below
        try:
            data = self.client.send_login(otp=_totp(row.totp_secret))
        except AuthError as exc:
            _disconnect(row, exc.message)
            return _expired(exc.message)
        _store(row, data)
        logger.info("angelone %s: logged in for %s", row.client_code, row.session_day)
        return None

    def forget(self) -> None:
        self._session = None


def _totp(secret: str) -> str:
    try:
        return pyotp.TOTP(secret.replace(" ", "").upper()).now()
    except (binascii.Error, ValueError, TypeError):
        raise AuthError("The stored TOTP secret is not a valid base32 key.", code="broker_wrong_totp") from None


def _store(row: BrokerAccount, data, *, fallback_refresh: str = "", fallback_feed: str = "") -> None:
    data = data if isinstance(data, dict) else {}
    jwt = str(data.get("jwtToken") or "").removeprefix("Bearer ").strip()
    if not jwt:
        raise AuthError("The broker's login answer carried no session token.", code="broker_auth_failed")
    row.jwt_token = jwt
    row.refresh_token = str(data.get("refreshToken") or fallback_refresh)
    row.feed_token = str(data.get("feedToken") or fallback_feed)
    row.session_day = today_ist()
    row.status = BrokerAccount.Status.CONNECTED
    row.status_message = ""
    row.status_changed_at = clock.now()
    row.session_version = F("session_version") + 1
    row.save(
        update_fields=[
            "jwt_token",
            "refresh_token",
            "feed_token",
            "session_day",
            "status",
            "status_message",
            "status_changed_at",
            "session_version",
            "updated_at",
        ]
    )
    row.refresh_from_db(fields=["session_version"])


def _disconnect(row: BrokerAccount, message: str) -> None:
    logger.warning("angelone %s: session cannot be renewed, account disconnected: %s", row.client_code, message)
    row.jwt_token = row.refresh_token = row.feed_token = ""
    row.status = BrokerAccount.Status.DISCONNECTED
    row.status_message = message[:300]
    row.status_changed_at = clock.now()
    row.save(
        update_fields=[
            "jwt_token",
            "refresh_token",
            "feed_token",
            "status",
            "status_message",
            "status_changed_at",
            "updated_at",
        ]
    )
    expired = BrokerSessionExpired(account_id=row.account_id, broker="angelone", message=message[:300])
    transaction.on_commit(lambda: events.publish(expired))


def _expired(message: str) -> SessionExpired:
    return SessionExpired(
        f"Disconnected from Angel One, log in again: {message or 'the session could not be renewed'}",
        code="broker_session_expired",
    )
