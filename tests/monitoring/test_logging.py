import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from monitoring.logging import RedactSecretsFilter, redact

ROOT = Path(__file__).resolve().parents[2]


def test_it_redacts_secrets_in_key_value_and_json_forms():
    line = 'login password=hunter2 totp: 123456 {"jwtToken": "eyJabc.def", "ok": 1} Authorization: Bearer eyJxyz.123'
    cleaned = redact(line)
    for secret in ("hunter2", "123456", "eyJabc.def", "eyJxyz.123"):
        assert secret not in cleaned
    assert '"ok": 1' in cleaned


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "api_key=%s sent", ("sk-live-999",), None)
    assert RedactSecretsFilter().filter(record) is True
    assert "sk-live-999" not in record.getMessage()
    assert "[REDACTED]" in record.getMessage()


def _log_one_line(log_format: str) -> subprocess.CompletedProcess:
    code = "import logging; logging.getLogger('orders').warning('placed T1 pin=4321')"
    env = {**os.environ, "LOG_FORMAT": log_format}
    command = [sys.executable, "manage.py", "shell", "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_log_format_json_makes_the_configured_handler_write_one_json_object_per_line():
    result = _log_one_line("json")

    assert result.returncode == 0, result.stderr
    [entry] = [json.loads(line) for line in result.stderr.splitlines() if '"logger": "orders"' in line]
    assert entry["message"] == "placed T1 pin=[REDACTED]"
    assert (entry["level"], entry["request_id"]) == ("WARNING", "-")


def test_the_default_log_format_is_readable_text_with_the_request_id():
    result = _log_one_line("plain")

    assert result.returncode == 0, result.stderr
    assert "WARNING orders [-]: placed T1 pin=[REDACTED]" in result.stderr
