"""Access control in front of every route: Host check, Origin check, token.

- Host: the ``Host`` header must name the bound host or a loopback name, so a malicious page
  cannot reach the viewer through DNS rebinding (400 otherwise).
- Origin: mutating requests and WebSockets that carry an ``Origin`` must come from the
  viewer's own origin (403 otherwise). There is no CORS: other origins get nothing.
- Token: when the viewer has one, each request must carry it as ``?token=``, an
  ``Authorization: Bearer`` header or the ``runicorn_token`` cookie, which a ``?token=`` visit
  sets (401 otherwise).
"""

from __future__ import annotations

import hmac
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runicorn.storage.jsonio import dumps
from runicorn.viewer.context import Activity, ViewerSettings

TOKEN_COOKIE = "runicorn_token"  # noqa: S105 - the cookie name's prefix, not a secret


def token_cookie_name(headers: dict[str, str]) -> str:
    """The token cookie's name for the port the browser used.

    Browsers share cookies across ports of one host, so two viewers reached as ``127.0.0.1``
    (say, two SSH tunnels) would overwrite each other's token under a single name.
    """
    try:
        port = urlsplit("//" + headers.get("host", "")).port
    except ValueError:
        port = None
    return f"{TOKEN_COOKIE}_{port}" if port else TOKEN_COOKIE


MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WS_POLICY_VIOLATION = 1008


def host_name(host_header: str) -> str:
    """The name part of a Host header value (``[::1]:80`` → ``::1``)."""
    host_header = host_header.strip()
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    if host_header.count(":") == 1:
        return host_header.split(":", 1)[0]
    return host_header


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers as text (the last value of a repeated header wins)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}


class AccessControlMiddleware:
    """Pure ASGI middleware, so WebSockets get the same checks as HTTP."""

    def __init__(self, app: ASGIApp, settings: ViewerSettings, activity: Activity) -> None:
        self.app = app
        self.settings = settings
        self.activity = activity
        self.token = settings.token.encode() if settings.token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        is_ws = scope["type"] == "websocket"
        host = headers.get("host", "")
        if not host or not self.settings.host_allowed(host_name(host)):
            await self._refuse(scope, receive, send, 400, f"host {host!r} is not allowed")
            return
        origin = headers.get("origin")
        checked = is_ws or scope.get("method") in MUTATING_METHODS
        if origin is not None and checked and not _same_origin(origin, host):
            await self._refuse(
                scope, receive, send, 403,
                f"cross-origin request from {origin!r} refused; use the viewer's own page",
            )  # fmt: skip
            return
        from_query = False
        if self.token is not None:
            given, source = given_token(scope, headers)
            from_query = source == "query"
            if given is None or not hmac.compare_digest(given.encode(), self.token):
                await self._refuse(
                    scope, receive, send, 401,
                    "a valid token is required: open the URL the viewer printed "
                    "(it ends with ?token=...) or send 'Authorization: Bearer <token>'",
                )  # fmt: skip
                return
        if is_ws:
            self.activity.open_websockets += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.activity.open_websockets -= 1
                self.activity.touch()
            return
        self.activity.touch()
        if from_query and self.token is not None:
            send = self._setting_cookie(send, token_cookie_name(headers))
        await self.app(scope, receive, send)

    def _setting_cookie(self, send: Send, name: str) -> Send:
        assert self.token is not None
        cookie = f"{name}={self.token.decode()}; HttpOnly; SameSite=Strict; Path=/"

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", cookie.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION, "reason": detail})
            return
        body = dumps({"detail": detail})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _same_origin(origin: str, host: str) -> bool:
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc.lower() == host.strip().lower()


def given_token(scope: Scope, headers: dict[str, str]) -> tuple[str | None, str]:
    """The token the request carries and how: ``"query"``, ``"bearer"``, ``"cookie"`` or ``""``."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], "query"
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), "bearer"
    raw_cookie = headers.get("cookie")
    if raw_cookie:
        try:
            jar = SimpleCookie(raw_cookie)
        except CookieError:
            return None, ""
        name = token_cookie_name(headers)
        if name in jar:
            return jar[name].value, "cookie"
    return None, ""
