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
    # Back to this page after switching; a page that answered a POST (a form with errors) is an action's URL,
    # which a GET would answer 405: back to the page it belongs to (`page_url`), else the dashboard.
    back = request.get_full_path() if request.method == "GET" else context.get("page_url", "")
    csrf_token = context.get("csrf_token")
    return {"current": current, "accounts": accounts, "next": back, "request": request, "csrf_token": csrf_token}
