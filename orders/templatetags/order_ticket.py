"""{% order_ticket instrument %}: the order ticket, for pages of other apps (the instrument page)."""

from django import template

register = template.Library()


@register.inclusion_tag("orders/_ticket.html", takes_context=True)
def order_ticket(context, instrument):
    from orders.views import TicketState, ticket_context

    state = TicketState(instrument=instrument)
    return {**ticket_context(context["request"], state), "csrf_token": context.get("csrf_token")}
