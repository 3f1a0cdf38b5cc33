"""Small query helpers the apps share."""

from django.db.models import Model, QuerySet


def get_or_none(queryset: QuerySet) -> Model | None:
    """The one row the queryset selects (by a unique key), or None.

    Use instead of `.first()` for a lookup by key: `first()` orders by the
    model's Meta.ordering, which costs a sort, and where that ordering names a
    foreign key it joins the related table, whose rows `select_for_update()`
    would then lock too. `get()` drops the ordering.
    """
    try:
        return queryset.get()
    except queryset.model.DoesNotExist:
        return None
