"""The steward console's routes: thin handlers over `queries` (page data), `deciding` (the CLI's deciding
logic) and `security` (sessions, CSRF, rate limit, headers). Server-rendered Jinja2, autoescaped; no script.

    GET  /                          the inbox (filters and paging in the query string)
    GET  /conflicts/{id}            one conflict: quotes side by side, suggestion, history, the decision forms
    POST /conflicts/{id}/decide     approve a value or a claim, dismiss, reopen (steward or admin)
    POST /claims/{id}/misread       mark a claim as misread by the extraction (steward or admin)
    GET  /golden, /golden/{n}       the golden record, and what is behind one value
    GET  /sources, /documents/{id}  documents read and quarantined; a document's text around a line
    GET  /users, POST /users/{name}/disable|enable   (admin)
    GET|POST /signin, POST /signout
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import anyio.from_thread
import anyio.to_thread
from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp

from .. import deciding
from ..config import Settings
from ..decisions import DecisionStore
from ..errors import UserError
from ..report import when
from ..users import User, UserStore
from . import queries, security

# anyio loads its parts on first use. Load the file part (static files) here, in the importing thread, so that
# its first import - a compile on a fresh install - never runs in a server worker thread beside another one:
# CPython 3.11 can fail that race ("SystemError: AST constructor recursion depth mismatch"), seen in clean CI.
_ASYNC_FILES = (anyio.Path, anyio.open_file, anyio.wrap_file)

HERE = Path(__file__).resolve().parent
ACTIONS = ("approve-claim", "approve-value", "dismiss", "reopen")


class Console:
    """The state the handlers share: where the run is, the stores, the cache, the limiter, the templates."""

    def __init__(self, out_dir: Path, sources_dir: Path, users: UserStore, store: DecisionStore):
        self.out_dir, self.sources_dir, self.users, self.store = Path(out_dir), Path(sources_dir), users, store
        self.cache = queries.RunCache(self.out_dir, store)
        self.limiter = security.FailureLimiter()
        env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)
        env.globals.update(when=when, urlencode=urlencode)
        self.templates = Jinja2Templates(env=env)

    def user(self, request: Request) -> User | None:
        return security.current_user(request, self.users)

    def page(self, request: Request, template: str, status: int = 200, /, **context: Any) -> Response:
        user = context.pop("user", None) or self.user(request)
        flash = request.session.pop("flash", None)
        return self.templates.TemplateResponse(request, template, {
            "user": user, "csrf": security.csrf_token(request), "flash": flash,
            "may_decide": security.may(user, "steward"), "is_admin": security.may(user, "admin"),
            "out_dir": str(self.out_dir), **context}, status_code=status)

    def signed_in(self, request: Request, role: str = "viewer") -> User:
        return security.require(self.user(request), role)


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


# -- signing in and out ----------------------------------------------------------------------------

async def signin_form(request: Request) -> Response:
    console = _console(request)
    return console.page(request, "signin.html", next=security.safe_next(request.query_params.get("next")),
                        error="", name="")


async def signin(request: Request) -> Response:
    console = _console(request)
    form = await security.checked_form(request)
    name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = security.safe_next(str(form.get("next", "/")))
    client = f"client:{request.client.host if request.client else '?'}"
    keys = (client, f"user:{name.casefold()}")
    wait = console.limiter.retry_after(*keys)
    if wait:
        response = console.page(request, "signin.html", 429, next=target, name=name,
                                error=f"Too many failed sign-ins. Try again in {wait} s.")
        response.headers["Retry-After"] = str(wait)
        return response
    user = console.users.authenticate(name, password) if name and password else None
    if user is None or user.disabled:
        console.limiter.failed(*keys)
        return console.page(request, "signin.html", 401, next=target, name=name,
                            error="Wrong user name or password (or the user is disabled).")
    console.limiter.forget(keys[1])
    security.sign_in(request, user)
    return RedirectResponse(target, status_code=303)


async def signout(request: Request) -> Response:
    await security.checked_form(request)
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


# -- reading ---------------------------------------------------------------------------------------

async def inbox(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request)
    query = queries.InboxQuery.from_params(request.query_params)
    page = queries.inbox(console.cache.get(), query)
    return console.page(request, "inbox.html", user=user, inbox=page)


async def conflict(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request)
    return _conflict_response(request, console, user, request.path_params["conflict_id"])


def _conflict_response(request: Request, console: Console, user: User, conflict_id: str,
                       status: int = 200, **context: Any) -> Response:
    data = console.cache.get()
    try:
        page = queries.conflict_page(data, conflict_id)
    except UserError:
        raise HTTPException(404, f"no conflict {conflict_id} in the last run") from None
    history = console.store.history(conflict_id)
    return console.page(request, "conflict.html", status, user=user, page=page, history=history,
                        figure_of=deciding.decision_figure,
                        form=context.pop("form", {}), error=context.pop("error", None), **context)


async def golden(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request)
    data = console.cache.get()
    entity, metric = request.query_params.get("entity", ""), request.query_params.get("metric", "")
    page_param = request.query_params.get("page", "1")
    found = queries.golden_rows(data, entity, metric, int(page_param) if page_param.isdigit() else 1)
    def page_link(number: int) -> str:
        return urlencode({k: v for k, v in (("entity", entity), ("metric", metric), ("page", number)) if v})

    return console.page(request, "golden.html", user=user, golden=found, entity=entity, metric=metric,
                        choices=queries.golden_choices(data), page_link=page_link)


async def golden_value(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request)
    found = queries.explain(console.cache.get(), int(request.path_params["position"]))
    if found is None:
        raise HTTPException(404, "no such golden value in the last run")
    return console.page(request, "explain.html", user=user, explain=found)


async def sources(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request)
    read, rejected = queries.sources(console.cache.get())
    return console.page(request, "sources.html", user=user, read=read, rejected=rejected)


async def document(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request)
    line_param = request.query_params.get("line", "")
    line = int(line_param) if line_param.isdigit() else None
    page = queries.document_page(console.cache.get(), console.sources_dir, request.path_params["source_id"], line)
    if page is None:
        raise HTTPException(404, "no such document in the last run")
    return console.page(request, "document.html", user=user, doc=page)


# -- deciding --------------------------------------------------------------------------------------

async def _steward_post(request: Request) -> tuple[Console, FormData, User]:
    """A POST that decides: its CSRF token checked first (403), then that a steward or admin sent it."""
    console = _console(request)
    form = await security.checked_form(request)
    return console, form, console.signed_in(request, "steward")


async def decide(request: Request) -> Response:
    console, form, user = await _steward_post(request)
    conflict_id = request.path_params["conflict_id"]
    action = str(form.get("action", ""))
    if action not in ACTIONS:
        raise HTTPException(400, f"unknown action {action!r}")
    fields = {k: str(v) for k, v in form.items() if k != "csrf"}
    seen_text = fields.get("seen", "")
    seen = int(seen_text) if seen_text.isdigit() else None
    wanted = deciding.Request(conflict_id, action.split("-")[0], user.name, fields.get("reason", ""),
                              value=fields.get("value") if action == "approve-value" else None,
                              claim=fields.get("claim") if action == "approve-claim" else None)
    data = console.cache.get()
    try:
        data.view.conflict(conflict_id)
    except UserError:
        raise HTTPException(404, f"no conflict {conflict_id} in the last run") from None
    try:
        recorded = deciding.decide(console.store, data.view, wanted, seen=seen)
    except UserError as error:
        return _conflict_response(request, console, user, conflict_id, 400, form=fields,
                                  error=error.render())
    raced = recorded.raced_with
    request.session["flash"] = {
        "recorded": recorded.decision.id, "action": recorded.decision.action,
        "figure": deciding.decision_figure(recorded.decision),
        "raced": None if raced is None else {"id": raced.id, "action": raced.action, "by": raced.decided_by,
                                             "at": raced.decided_at, "reason": raced.reason,
                                             "figure": deciding.decision_figure(raced)}}
    return RedirectResponse(f"/conflicts/{conflict_id}", status_code=303)


async def misread(request: Request) -> Response:
    """Mark a claim as misread by the extraction (`reconcile misread`); back to the conflict it was seen on."""
    console, form, user = await _steward_post(request)
    claim_id = request.path_params["claim_id"]
    back = str(form.get("conflict", ""))
    back = f"/conflicts/{back}" if queries.CONFLICT_ID.fullmatch(back) else "/"
    try:
        number = deciding.mark_misread(console.store, console.cache.get().view, claim_id, user.name,
                                       str(form.get("reason", "")))
    except UserError as error:
        request.session["flash"] = {"error": error.render()}
    else:
        request.session["flash"] = {"message": f"Recorded misread #{number} for {claim_id}: from the next run it "
                                               "takes part in no conflict and no golden value."}
    return RedirectResponse(back, status_code=303)


# -- users -----------------------------------------------------------------------------------------

async def users_page(request: Request) -> Response:
    console = _console(request)
    user = console.signed_in(request, "admin")
    return console.page(request, "users.html", user=user, users=list(console.users.list()))


async def user_switch(request: Request) -> Response:
    console = _console(request)
    await security.checked_form(request)
    admin = console.signed_in(request, "admin")
    name, change = request.path_params["name"], request.path_params["change"]
    if change not in ("disable", "enable") or console.users.get(name) is None:
        raise HTTPException(404, f"no user {name!r}")
    if name == admin.name and change == "disable":
        raise HTTPException(400, "you cannot disable yourself: ask another admin")
    (console.users.disable if change == "disable" else console.users.enable)(name, by=f"console:{admin.name}")
    request.session["flash"] = {"message": f"User {name} {change}d."}
    return RedirectResponse("/users", status_code=303)


# -- errors ----------------------------------------------------------------------------------------

async def http_error(request: Request, exc: Exception) -> Response:
    console = _console(request)
    status = getattr(exc, "status_code", 500)
    if status == 401 and request.method == "GET":
        return RedirectResponse("/signin?" + urlencode({"next": request.url.path + (
            "?" + request.url.query if request.url.query else "")}), status_code=303)
    return console.page(request, "error.html", status, message=getattr(exc, "detail", "error"))


async def run_error(request: Request, exc: Exception) -> Response:
    """The run's outputs are missing or unreadable: say which and how to fix it, as the CLI does."""
    console = _console(request)
    message = exc.render() if isinstance(exc, UserError) else str(exc)
    return console.page(request, "error.html", 503, message=message)


# -- the app ---------------------------------------------------------------------------------------

def create_app(*, out_dir: Path, sources_dir: Path, users: UserStore, store: DecisionStore | None = None,
               home: Path | None = None, secure_cookies: bool = False) -> ASGIApp:
    """The console over the run in `out_dir` (documents read from `sources_dir`), the decisions `store`
    (default: from the environment, like the CLI) and the `users`.

    The security headers wrap the whole app, so even the bare 500 page of a bug carries them."""
    settings = Settings.from_env()
    store = store or DecisionStore.from_settings(settings)
    secret = security.session_secret(home or settings.home)
    routes = [
        Route("/", inbox),
        Route("/signin", signin_form, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/conflicts/{conflict_id}", conflict, methods=["GET"]),
        Route("/conflicts/{conflict_id}/decide", decide, methods=["POST"]),
        Route("/claims/{claim_id}/misread", misread, methods=["POST"]),
        Route("/golden", golden),
        Route("/golden/{position:int}", golden_value),
        Route("/sources", sources),
        Route("/documents/{source_id}", document),
        Route("/users", users_page),
        Route("/users/{name}/{change}", user_switch, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=secret, session_cookie=security.SESSION_COOKIE,
                   max_age=security.SESSION_MAX_AGE, same_site="strict", https_only=secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, UserError: run_error})
    app.state.console = Console(out_dir, sources_dir, users, store)
    return security.SecurityHeaders(app)
