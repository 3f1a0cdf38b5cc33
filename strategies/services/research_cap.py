"""How much research (backtests and sweeps) one user may have waiting or running at once."""

from django.contrib.auth import get_user_model

from core.errors import RuleViolation
from strategies import conf
from strategies.models import FINISHED, Backtest, Sweep


def research_cap_check(*, user) -> None:
    """Refuse new research while the user has RESEARCH_MAX_QUEUED_PER_USER backtests and sweeps unfinished.

    The research queue is shared: without a cap one user's 48 backtests hold everyone else's back. Call it in
    the creating transaction: it locks the user's row first, so two requests at once cannot both take the
    last place.
    """
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    busy = sum(model.objects.filter(user=user).exclude(status__in=FINISHED).count() for model in (Backtest, Sweep))
    cap = conf.max_queued_research()
    if busy >= cap:
        raise RuleViolation(
            f"You have {cap} backtests and sweeps queued or running, the most at once. "
            "Wait for one to finish, then start this one.",
            code="research_queue_full",
        )
