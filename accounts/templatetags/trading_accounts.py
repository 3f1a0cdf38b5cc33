"""The top bar's account switcher: which account the dashboard shows, paper or live, and the others."""

from django import template

from ..chosen import request_account
from ..selectors import account_list_for_user

register = template.Library()


@register.inclusion_tag("accounts/_account_switcher.html", takes_context=True)
def account_switcher(context) -> dict:
    request = context["request"]
    current = request_account(request)
    accounts = list(account_list_for_user(user=request.user)) if current is not None else []
    return {"current": current, "accounts": accounts, "request": request, "csrf_token": context.get("csrf_token")}
