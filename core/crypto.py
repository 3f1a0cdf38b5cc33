"""Encryption at rest for every secret the platform stores: broker credentials and session tokens
(EncryptedTextField), the notification webhook secrets (encrypt/decrypt).

FIELD_ENCRYPTION_KEY holds one Fernet key or a comma-separated list: the first
key encrypts, every key decrypts. To rotate, put the new key first, run
`manage.py rotate_field_keys` (every encrypted value re-encrypted with it), then
drop the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet_for(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty.")
    try:
        return MultiFernet([Fernet(k) for k in parts])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes).") from exc


def fernet() -> MultiFernet:
    return _fernet_for(settings.FIELD_ENCRYPTION_KEY)


class DecryptionFailed(ImproperlyConfigured):
    pass


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Never say more: the token itself is secret material.
        raise DecryptionFailed("A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEY.") from None


class EncryptedTextField(models.TextField):
    """Plain text in Python, Fernet ciphertext in the database. Empty stays empty (means "not set")."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(value)
