import logging

from monitoring.logging import RedactSecretsFilter, redact


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
