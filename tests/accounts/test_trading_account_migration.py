"""The step to several accounts per trader: each user's one account becomes their default, named by its mode;
their API keys and strategy runs stay on it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0010_login_lockout_addresses_and_reason"), ("strategies", "0002_strategy_runs")]
AFTER = [("accounts", "0012_api_key_accounts"), ("strategies", "0003_strategy_run_account")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Whatever the test migrated back, every app ends at its latest migration again for the tests after it."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_accounts_become_defaults_named_by_mode_and_keep_their_keys_and_runs(back_to_latest):
    old = _migrate(BEFORE)
    User, TradingAccount = old.get_model("accounts", "User"), old.get_model("accounts", "TradingAccount")
    ApiKey, StrategyRun = old.get_model("accounts", "ApiKey"), old.get_model("strategies", "StrategyRun")
    paper_user, live_user = User.objects.create(username="p"), User.objects.create(username="l")
    paper = TradingAccount.objects.create(user=paper_user, mode="paper")
    live = TradingAccount.objects.create(user=live_user, mode="live", broker="angelone")
    ApiKey.objects.create(user=live_user, name="bot", prefix="tpk_mig", key_hash="0" * 64, scopes=["read"])
    StrategyRun.objects.create(user=paper_user, strategy="s", interval="1m", account_mode="paper")

    new = _migrate(AFTER)

    accounts = new.get_model("accounts", "TradingAccount").objects
    assert {(a.pk, a.name, a.is_default) for a in accounts.all()} == {
        (paper.pk, "Paper", True),
        (live.pk, "Live", True),
    }
    assert new.get_model("accounts", "ApiKey").objects.get().account_ids == [live.pk]
    assert new.get_model("strategies", "StrategyRun").objects.get().account_id == paper.pk
