"""Who may do what on the team server: every HTTP request and WebSocket carries a user token.

The token comes as ``Authorization: Bearer <token>`` (clients, the pusher) or as the login
cookie the UI's login page gets from ``POST /api/auth/login`` (HttpOnly, SameSite=Strict, so
page scripts never see it and other sites never send it). Without a valid one the API answers
401 and WebSockets are closed before they open. Only ``GET /api/health`` (status only), the
login route and the UI's static files answer without a token.

Roles: a reader reads; a writer also pushes and changes runs of its projects; an admin does
everything, including the routes that act on the server machine itself (remote, sync,
import, configuration). Per-project limits are applied in :mod:`runicorn.server.project_access`.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Annotated, Any
from urllib.parse import unquote

import anyio
from fastapi import APIRouter, Body, FastAPI, HTTPException, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from runicorn.errors import StorageError
from runicorn.server.project_access import current_user
from runicorn.server.users import User, UserStore
from runicorn.storage.jsonio import dumps
from runicorn.viewer.middleware import WS_POLICY_VIOLATION, request_headers

SESSION_COOKIE = "runicorn_session"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes that reach past the storage into the server machine (SSH, its files); changing the
# server's settings is for admins too, reading them is not (the UI reads them on every page).
ADMIN_ONLY_PREFIXES = ("/api/remote", "/api/sync", "/api/import")
ADMIN_ONLY_CHANGES = ("/api/config",)
# POSTs that only read (bodies too large for a query string): open to readers.
READING_POSTS = frozenset({"/api/v2/metrics", "/api/export"})
# Routes that name a project in their path, checked against the user's projects here (the
# artifact store is not behind the project-scoped run storage).
PROJECT_IN_PATH = ("/api/artifacts/", "/api/model-lifecycle/models/")
OPEN_ROUTES = frozenset({("POST", "/api/auth/login"), ("POST", "/api/auth/logout")})
PROTECTED_NON_API = frozenset({"/docs", "/openapi.json", "/docs/oauth2-redirect"})
HEALTH_PATH = "/api/health"


def request_token(headers: dict[str, str]) -> str | None:
    """The bearer token, else the login cookie's value, else None."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    raw = headers.get("cookie")
    if not raw:
        return None
    try:
        jar = SimpleCookie(raw)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _needs_user(method: str, path: str, is_ws: bool) -> bool:
    if is_ws or path.startswith("/api/") or path == "/api" or path in PROTECTED_NON_API:
        return (method, path) not in OPEN_ROUTES
    return False  # the UI's own files (the login page among them) hold no data


def refusal(user: User, method: str, path: str, is_ws: bool) -> str | None:
    """Why ``user`` may not make this request, or None when it may."""
    if user.is_admin:
        return None
    if path.startswith(ADMIN_ONLY_PREFIXES):
        return f"{path} is for admins; user {user.name!r} is a {user.role}"
    reading = is_ws or method in READ_METHODS or (method == "POST" and path in READING_POSTS)
    project = project_in_path(path)
    if project is not None and not (user.can_read(project) if reading else user.can_write(project)):
        return (
            f"user {user.name!r} ({user.role}) has no {'read' if reading else 'write'} "
            f"access to project {project!r}"
        )
    if reading:
        return None
    if path.startswith(ADMIN_ONLY_CHANGES):
        return f"changing {path} is for admins; user {user.name!r} is a {user.role}"
    if user.role == "reader":
        return f"user {user.name!r} is a reader: reading only"
    return None


def project_in_path(path: str) -> str | None:
    """The project a route names in its path (``/api/artifacts/<project>/...``), if any."""
    for prefix in PROJECT_IN_PATH:
        if path.startswith(prefix):
            project = unquote(path[len(prefix) :].split("/", 1)[0])
            return project or None
    return None


class TeamAuthMiddleware:
    """Pure ASGI, so WebSockets are checked exactly like HTTP requests."""

    def __init__(self, app: ASGIApp, users: UserStore) -> None:
        self.app = app
        self.users = users

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        is_ws = scope["type"] == "websocket"
        method = "GET" if is_ws else str(scope.get("method", "GET"))
        path = str(scope.get("path", ""))
        if path == HEALTH_PATH and method in ("GET", "HEAD") and not is_ws:
            await _answer(send, 200, {"status": "ok"})
            return
        if not _needs_user(method, path, is_ws):
            await self.app(scope, receive, send)
            return
        token = request_token(request_headers(scope))
        user: User | None = None
        if token is not None:
            try:
                user = await anyio.to_thread.run_sync(self.users.authenticate, token)
            except StorageError as exc:
                await _refuse(scope, receive, send, 503, f"cannot check the token: {exc}")
                return
        if user is None:
            detail = (
                "a valid token is required: log in on the server's page, or send "
                "'Authorization: Bearer <token>' (runicorn server users add NAME prints one)"
            )
            await _refuse(scope, receive, send, 401, detail)
            return
        why = refusal(user, method, path, is_ws)
        if why is not None:
            await _refuse(scope, receive, send, 403, why)
            return
        reset = current_user.set(user)
        try:
            await self.app(scope, receive, send)
        finally:
            current_user.reset(reset)


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect; closing before accepting answers the handshake 403
        await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION, "reason": detail})
        return
    await _answer(send, status, {"detail": detail})


router = APIRouter(tags=["auth"])


def _users(request: Request) -> UserStore:
    users: UserStore = request.app.state.team_users
    return users


@router.post("/api/auth/login", summary="Exchange a user token for the login cookie")
async def login(
    request: Request,
    response: Response,
    token: Annotated[str, Body(embed=True, max_length=512)],
) -> dict[str, Any]:
    user = await anyio.to_thread.run_sync(_users(request).authenticate, token.strip())
    if user is None:
        raise HTTPException(401, "this token is not valid (revoked, or mistyped)")
    response.set_cookie(
        SESSION_COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        # Behind a TLS proxy the server itself is reached over http: trust the proxy's word,
        # which can only make the cookie stricter.
        secure="https" in (request.url.scheme, request.headers.get("x-forwarded-proto", "")),
        path="/",
    )
    return {"user": user.to_dict()}


@router.post("/api/auth/logout", summary="Forget the login cookie")
async def logout(response: Response) -> dict[str, bool]:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return {"ok": True}


@router.get("/api/auth/me", summary="The user the request's token belongs to")
async def me() -> dict[str, Any]:
    user = current_user.get()
    if user is None:
        raise HTTPException(401, "not logged in")
    return {"user": user.to_dict()}


def install_team_auth(app: FastAPI, users: UserStore) -> None:
    """Require a user on every route and WebSocket of ``app`` (call before it serves)."""
    app.state.team_users = users
    app.add_middleware(TeamAuthMiddleware, users=users)
