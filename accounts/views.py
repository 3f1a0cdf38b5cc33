from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.errors import DomainError, NotFound
from core.forms import form_add_domain_error
from core.htmx import answer
from core.inputs import digits_only

from . import selectors, services
from .chosen import dashboard_account_choose, request_account
from .forms import ApiKeyForm, LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after is not None:  # refused by the rate limit, not for a wrong password
            response.status_code = 429
            response["Retry-After"] = str(max(1, int(form.retry_after)))
        return response


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password-change-done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- API keys: list, create (the key shown once), revoke ------------------------------------------


def _keys_context(request) -> dict:
    now = clock.now()
    keys = list(selectors.api_key_list_for_user(user=request.user))
    return {"keys": [(key, key.status_at(now)) for key in keys]}


def _keys_page(request, form: ApiKeyForm, *, status: int = 200, **extra):
    context = {**_keys_context(request), "form": form, **extra}
    return render(request, "accounts/api_keys.html", context, status=status)


@never_cache
@login_required
@require_GET
def api_keys_page(request):
    return _keys_page(request, ApiKeyForm())


@never_cache  # the answer shows the key itself: no cache may keep it
@login_required
@require_POST
def api_key_create_view(request):
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, form, status=422)
    try:
        key, raw_key = services.api_key_create(user=request.user, account=request_account(request), **form.cleaned_data)
    except DomainError as exc:
        form_add_domain_error(form, exc)
        return _keys_page(request, form, status=422)
    # Rendered, not redirected: the key is in this answer and nowhere else.
    return _keys_page(request, ApiKeyForm(), created=key, raw_key=raw_key)


@login_required
@require_POST
def api_key_revoke_view(request, key_id: int):
    try:
        key = services.api_key_revoke(user=request.user, key_id=key_id)
    except NotFound:
        raise Http404("No such API key.") from None
    note = f"Revoked the key {key.name} ({key.prefix}): requests with it are refused from now on."
    context = {**_keys_context(request), "note": note}
    return answer(
        request,
        template="accounts/_api_key_list.html",
        context=context,
        redirect_to=reverse("accounts:api-keys"),
        notes=[note],
    )


# --- Security events: the trader's own, newest first ---------------------------------------------


@never_cache
@login_required
@require_GET
def security_events_page(request):
    events = selectors.security_event_list_for_user(user=request.user)
    number = request.GET.get("page", "")
    page = Paginator(events, 50).get_page(number if digits_only(number) else 1)  # "३" is not page 3
    for event in page.object_list:
        event.detail_rows = [(_label(name), _text(value)) for name, value in event.detail.items()]
    return render(request, "accounts/security.html", {"page": page})


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _text(value) -> str:
    """A detail as words: a list as "read, trade" (not its Python form), a flag as yes or no."""
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{_label(k).lower()} {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "—" if value in (None, "") else str(value)


@login_required
@require_POST
def account_switch_view(request):
    """The top bar's switcher: the dashboard acts on the chosen account from the next page on."""
    account_id = request.POST.get("account", "")
    if not digits_only(account_id) or len(account_id) > 18:
        raise Http404("No such trading account.")
    try:
        dashboard_account_choose(request, int(account_id))
    except NotFound:
        raise Http404("No such trading account.") from None
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return redirect(back if back and safe else "dashboard")
