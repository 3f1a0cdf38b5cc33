"""Writes on broker accounts: save credentials, log in now, disconnect."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import TradingAccount
from core import clock, events
from core.errors import Conflict, RuleViolation

from .base import BrokerError
from .events import BrokerConnected, BrokerDisconnected
from .models import BrokerAccount

logger = logging.getLogger(__name__)

# Says nothing of whose it is: only that this platform already holds it (the broker's client code is unique here).
CLIENT_CODE_TAKEN = (
    "This client code is already registered on this platform. Check it; if it is yours, ask support to release it."
)


def _reset_session(broker_account: BrokerAccount, *, status: str, message: str) -> None:
    broker_account.jwt_token = broker_account.refresh_token = broker_account.feed_token = ""
    broker_account.session_day = None
    broker_account.status = status
    broker_account.status_message = message
    broker_account.status_changed_at = clock.now()
    # Every process holding the old session sees the version move and drops it; a new row starts at 1.
    broker_account.session_version = F("session_version") + 1 if broker_account.pk else 1


@transaction.atomic
def broker_account_save(
    *,
    account: TradingAccount,
    client_code: str,
    static_ip: str | object | None = ...,
    api_key: str = "",
    pin: str = "",
    totp_secret: str = "",
    broker: str = "angelone",
) -> BrokerAccount:
    """Create or update the account's credentials. Blank secrets keep what is stored (they are write-only)."""
    broker_account = BrokerAccount.objects.select_for_update().filter(account=account).first()
    if broker_account is None:
        broker_account = BrokerAccount(account=account, broker=broker)
    secrets = {"api_key": api_key, "pin": pin, "totp_secret": totp_secret}
    changed = broker_account.client_code != client_code or any(secrets.values())
    broker_account.client_code = client_code
    if static_ip is not ...:  # left out: keep the registered address
        broker_account.static_ip = static_ip or None
    for name, value in secrets.items():
        if value:
            setattr(broker_account, name, value)
    if not broker_account.has_credentials:
        missing = [name for name in ("client_code", *secrets) if not getattr(broker_account, name)]
        raise RuleViolation(f"Give {', '.join(missing)}.", code="credentials_incomplete", field=missing[0])
    if changed:  # new credentials: the old session and any "disconnected" verdict no longer apply
        _reset_session(broker_account, status=BrokerAccount.Status.NEW, message="")
    _save_unless_code_taken(broker_account)
    broker_account.refresh_from_db()
    return broker_account


def _save_unless_code_taken(broker_account: BrokerAccount) -> None:
    """Save; a client code another account holds is a 409. The unique constraint decides (also between two
    saves racing for one code); the savepoint keeps the caller's transaction usable after it refuses."""
    try:
        with transaction.atomic():
            broker_account.save()
    except IntegrityError:
        taken = BrokerAccount.objects.filter(broker=broker_account.broker, client_code=broker_account.client_code)
        if taken.exclude(account=broker_account.account).exists():
            raise Conflict(CLIENT_CODE_TAKEN, code="broker_client_code_taken", field="client_code") from None
        raise


def _publish(event_class, broker_account: BrokerAccount, **fields) -> None:
    ba = broker_account
    events.publish(event_class(account_id=ba.account_id, broker=ba.broker, client_code=ba.client_code, **fields))


def broker_account_connect(*, broker_account: BrokerAccount) -> BrokerAccount:
    """Log in now ("test the connection"). The outcome, and the broker's message, is on the row."""
    from .angelone.adapter import client_for
    from .angelone.errors import AngelError

    try:
        client_for(broker_account).login_now()
    except (AngelError, BrokerError) as exc:
        logger.info("log in now failed for %s: %s", broker_account.client_code, exc)
    broker_account.refresh_from_db()
    _publish(BrokerConnected, broker_account, status=broker_account.status)
    return broker_account


def broker_account_disconnect(*, broker_account: BrokerAccount) -> BrokerAccount:
    """Log out at the broker and forget the session: no call is made again until someone logs in.

    Logging out invalidates the token at the broker, so a worker still holding it is refused,
    looks at the row, finds it disconnected and stops too.
    """
    from .angelone import endpoints
    from .angelone.adapter import client_for, forget_clients
    from .angelone.errors import AngelError

    with transaction.atomic():
        locked = BrokerAccount.objects.select_for_update().get(pk=broker_account.pk)
        jwt = locked.jwt_token
        _reset_session(locked, status=BrokerAccount.Status.DISCONNECTED, message="Disconnected by the user.")
        locked.save()
    if jwt:
        try:
            client_for(locked).send(endpoints.LOGOUT, {"clientcode": locked.client_code}, jwt=jwt)
        except (AngelError, BrokerError) as exc:  # the session is forgotten here whatever the broker says
            logger.info("logout at the broker failed for %s: %s", locked.client_code, exc)
    forget_clients()
    locked.refresh_from_db()
    _publish(BrokerDisconnected, locked)
    return locked
