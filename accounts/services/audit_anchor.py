"""Verifying both audit chains against their heads kept outside the database, and re-sealing them once.

A chain whose newest rows were cut off is still intact in itself. So each successful `verify_audit` records
the heads it reached in AUDIT_ANCHOR_FILE (a file the database's users cannot write; the command also
prints them for the operator's log), and the next run checks that the chain still reaches them.
"""

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from core import clock

from .audit_seal import audit_chain_reaches, audit_chain_reseal, audit_chain_verify
from .chain import ChainBroken, ChainWalk, Head
from .security import security_chain_reaches, security_chain_reseal, security_chain_verify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chain:
    key: str  # its name in the anchor file
    label: str
    noun: str
    verify: Callable[[], ChainWalk]
    reaches: Callable[[Head], bool]
    reseal: Callable[[], int]


CHAINS = (
    Chain("security", "Security log", "event", security_chain_verify, security_chain_reaches, security_chain_reseal),
    Chain("audit", "Audit trail", "entry", audit_chain_verify, audit_chain_reaches, audit_chain_reseal),
)


@dataclass(frozen=True)
class ChainReport:
    chain: Chain
    walk: ChainWalk
    problem: str | None


class ResealRefused(Exception):
    pass


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def anchor_read() -> dict:
    try:
        return json.loads(anchor_path().read_text())
    except FileNotFoundError:
        return {}


def _anchor_write(reports: list[ChainReport]) -> None:
    heads = {r.chain.key: {"row": r.walk.head.row, "hash": r.walk.head.hash} for r in reports if r.walk.head}
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps({**heads, "recorded_at": clock.now().isoformat()}, indent=2))
    os.replace(temporary, path)  # whole or not at all
    logger.info("audit chain heads recorded in %s: %s", path, heads)


def _problem(chain: Chain, walk: ChainWalk, anchored: dict | None, recorded_at: str) -> str | None:
    if walk.broken is not None:
        intact = f"The {walk.checked} {chain.noun}(s) before it are intact."
        return f"{chain.label} broken at {chain.noun} {walk.broken.row_id}: {walk.broken.reason}. {intact}"
    if anchored is None or chain.reaches(Head(anchored["row"], anchored["hash"])):
        return None
    end = f"{chain.noun} {walk.head.row}" if walk.head else "nothing (it is empty)"
    return (
        f"{chain.label} cut short: it ends at {end}, short of {chain.noun} {anchored['row']} recorded as its head "
        f"at {recorded_at} in {anchor_path()}: the newest {chain.noun}s were removed (or rewritten)."
    )


def audit_verify() -> list[ChainReport]:
    """Verify both chains against the anchor; when both are whole, move the anchor to their new heads."""
    anchor = anchor_read()
    reports = []
    for chain in CHAINS:
        walk = chain.verify()
        problem = _problem(chain, walk, anchor.get(chain.key), anchor.get("recorded_at"))
        reports.append(ChainReport(chain, walk, problem))
    if not any(r.problem for r in reports):
        _anchor_write(reports)
    return reports


def audit_reseal() -> list[ChainReport]:
    """Move chains sealed before AUDIT_CHAIN_KEY onto it (once), then verify and anchor them.

    Refused once an anchor exists: the chains were keyed and whole then, so rows sealed without the key
    now are someone's rewrite, and re-sealing them would launder it. A chain broken in itself is refused
    too, and then nothing is rewritten.
    """
    if anchor_path().exists():
        raise ResealRefused(
            f"The audit chains are already anchored ({anchor_path()}): they were keyed and whole when "
            "`verify_audit` last passed, so rows sealed without the key now were rewritten since. "
            "Investigate with `verify_audit`; nothing was re-sealed."
        )
    with transaction.atomic():
        for chain in CHAINS:
            try:
                chain.reseal()
            except ChainBroken as exc:
                where = f"{chain.label} broken at {chain.noun} {exc.broken.row_id}: {exc.broken.reason}"
                raise ResealRefused(f"{where}. Nothing was re-sealed.") from None
    return audit_verify()
