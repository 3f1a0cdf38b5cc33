"""The platform's idea of "now". Tests replace this (and only this) to travel in time."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
