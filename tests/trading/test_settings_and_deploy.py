"""The app refuses unsafe production settings and passes `check --deploy` with the documented ones."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The production environment documented in docs/configuration.md ("Production").
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3V9x-q2Lr8pZ7mW4tN1bY6cH0sJ5dF3gA9eU2iO8vQ7wE4rT1yXzC6nM5bB0",
    "FIELD_ENCRYPTION_KEY": "mM5yJ2b8Q0cT7xV1nR4pL9kS3wZ6dF0gH2jK5aE8uI=",
    "AUDIT_CHAIN_KEY": "Qw7e-R5tY2uI9oP1aS4dF6gH8jK0lZ3xC5vB7nM9qW2eR4tY6",
    "ALLOWED_HOSTS": "trading.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://trading.example.com",
}


DEVELOPMENT_ONLY = {
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "AUDIT_CHAIN_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "TRADING_VAR_DIR",
}
NO_ENV_FILE = {"TRADING_ENV_FILE": str(ROOT / "var" / "no-such-env-file")}  # production: no development `.env`


def _environment(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in DEVELOPMENT_ONLY and not k.startswith("PYTEST_")}
    return {**base, **env}


def run_manage(*args: str, env: dict[str, str], env_file: dict[str, str] = NO_ENV_FILE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_environment({**env_file, **env}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", env={"DEBUG": "0", "FIELD_ENCRYPTION_KEY": PRODUCTION_ENV["FIELD_ENCRYPTION_KEY"]})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_published_secret_key_when_debug_is_off():
    env = {**PRODUCTION_ENV, "SECRET_KEY": "dev-insecure-only-for-local-debug-do-not-deploy"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_without_a_field_encryption_key_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


@pytest.mark.parametrize("key", [None, "too-short-to-resist-guessing"])
def test_it_refuses_to_start_without_a_long_audit_chain_key_when_debug_is_off(key):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "AUDIT_CHAIN_KEY"}
    result = run_manage("check", env=env if key is None else {**env, "AUDIT_CHAIN_KEY": key})
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_keys_are_made_per_installation_and_are_in_no_tracked_file(settings):
    from django.conf import settings as live

    assert os.environ.get("DEBUG") == "1", "make test runs in development mode"  # pytest-django then turns it off
    assert (Path(live.VAR_DIR) / "secret_key").read_text().strip() == live.SECRET_KEY
    tracked = subprocess.run(["git", "grep", "-lF", "-e", live.SECRET_KEY], cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode == 1 and not tracked.stdout, tracked.stdout  # found nowhere in the repository
    key = (Path(live.VAR_DIR) / "field_encryption_key").read_text().strip()
    assert key == live.FIELD_ENCRYPTION_KEY
    assert (Path(live.VAR_DIR) / "audit_chain_key").read_text().strip() == live.AUDIT_CHAIN_KEY


def test_debug_is_off_unless_asked_for():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DEBUG"}
    result = run_manage(
        "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DEBUG)", env=env
    )
    assert result.stdout.strip() == "False", result.stderr


def test_manage_py_works_in_a_set_up_checkout_without_exporting_anything():
    """`make setup` wrote the checkout's `.env`; a newcomer's `python manage.py <command>` then just works."""
    assert "DEBUG=1" in (ROOT / ".env").read_text().splitlines()
    result = run_manage(
        "shell", "--no-imports", "-c", "from django.conf import settings; print(settings.DEBUG)", env={}, env_file={}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_environment_wins_over_the_checkouts_env_file():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}  # DEBUG=0 exported, no key
    result = run_manage("check", env=env, env_file={})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_plain_pytest_works_in_a_set_up_checkout_and_uses_the_tests_own_folder():
    """`pytest <path>` with nothing exported: development settings from `.env`, var/test/ from pyproject.toml."""
    probe = "tests/trading/test_settings_and_deploy.py::test_debug_is_off_unless_asked_for"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", probe],
        cwd=ROOT,
        env=_environment({}),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_tests_var_folder_is_the_checkouts_var_test_unless_told_otherwise(settings):
    expected = Path(os.environ.get("TRADING_VAR_DIR", "var/test"))
    assert Path(settings.VAR_DIR) == (expected if expected.is_absolute() else ROOT / expected)
    assert Path(settings.VAR_DIR) != ROOT / "var", "tests never share var/ (queues, database) with `make run`"


def test_keys_once_published_in_the_repository_are_refused_even_in_development():
    result = run_manage("check", env={"DEBUG": "1", "SECRET_KEY": "dev-insecure-only-for-local-debug-do-not-deploy"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_token_signed_with_a_key_from_the_repository_is_refused(db, user):
    import jwt
    from rest_framework.test import APIClient

    for key in ("dev-insecure-only-for-local-debug-do-not-deploy", PRODUCTION_ENV["SECRET_KEY"]):
        payload = {"token_type": "access", "exp": 4_102_444_800, "iat": 1_700_000_000, "jti": "x", "user_id": user.id}
        forged = jwt.encode(payload, key, algorithm="HS256")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
        response = client.get("/api/v1/me/")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_invalid"
