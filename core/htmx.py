"""How dashboard views answer: the one helper for "form error / htmx partial / redirect".

A request from htmx gets the partial that replaces part of the page: status 422
when it shows errors (htmx swaps 422 too, see the htmx-config meta in
base.html), and an `HX-Trigger` event on <body> when it changed something other
parts of the page show. A plain form post (no JavaScript) gets the same words as
flash messages and a redirect, so reloading never posts twice.
"""

import json
from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

FORM_ERROR_STATUS = 422
FLASH_TEMPLATE = "core/_flash.html"


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def partial(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    error: bool = False,
    trigger: str = "",
    retarget: str = "",
    status: int | None = None,
) -> HttpResponse:
    """A partial for htmx. `trigger` names an event fired on <body> (on success only): the element
    that asked may have been redrawn meanwhile, and an event on a detached element reaches no one."""
    response = render(request, template, context, status=status or (FORM_ERROR_STATUS if error else 200))
    if trigger and not error:
        response["HX-Trigger"] = json.dumps({trigger: {"target": "body"}})
    if retarget:
        response["HX-Retarget"] = retarget
        response["HX-Reswap"] = "innerHTML"
    return response


def answer(
    request: HttpRequest,
    *,
    template: str,
    context: dict,
    redirect_to: str,
    notes: Iterable[str] = (),
    error: bool = False,
    trigger: str = "",
    retarget: str = "",
) -> HttpResponse:
    """htmx: the partial. A plain post: `notes` as flash messages, then a redirect to `redirect_to`."""
    if is_htmx(request):
        return partial(request, template, context, error=error, trigger=trigger, retarget=retarget)
    add = messages.error if error else messages.success
    for note in notes:
        if note:
            add(request, note)
    return redirect(redirect_to)


def flash(
    request: HttpRequest,
    message: str,
    *,
    redirect_to: str,
    error: bool = False,
    trigger: str = "",
    retarget: str = "",
) -> HttpResponse:
    """A one-line answer for the page's message area (or a flash message after a redirect)."""
    context = {"message": message, "error": error}
    return answer(
        request,
        template=FLASH_TEMPLATE,
        context=context,
        redirect_to=redirect_to,
        notes=[message],
        error=error,
        trigger=trigger,
        retarget=retarget,
    )
