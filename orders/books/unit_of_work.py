"""Rows changed in memory under an account's lock, saved once when the block ends.

A step `mark`s the fields it changed; `save_marked` writes each row once with exactly those fields (one
UPDATE per row however many steps touched it). Used by the books and by the order lifecycle alike.
"""


def mark(obj, *fields: str) -> None:
    """Remember which fields of a row held by `AccountBooks.locked` changed; the row is saved once at the end."""
    obj.__dict__.setdefault("_changed_fields", set()).update(fields)


def marked(obj) -> set[str]:
    """The fields of a row marked as changed and not yet saved."""
    return obj.__dict__.get("_changed_fields", set())


def save_marked(*objects) -> None:
    for obj in objects:
        fields = obj.__dict__.pop("_changed_fields", None)
        if fields:
            obj.save(update_fields=[*sorted(fields), "updated_at"])
