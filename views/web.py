"""The app's own HTTP routes, served by the same server as the pages (Streamlit's `st.App`, Starlette).

Why routes at all: a sign-in that survives a reload needs a cookie, and an HttpOnly cookie (one page
scripts cannot read or steal) can only be set by an HTTP response, never from the websocket Streamlit
pages talk over. The page posts a one-time code here and gets the cookie back; signing out posts here
to have it deleted. The routes only translate HTTP to `mapping.store.sessions` calls.

Requests must carry the `X-Stocktake` header and come from this origin: a form or link on another site
cannot add a custom header without a CORS pre-flight (which is never granted), so another site cannot
sign a visitor in to its own account or out of theirs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mapping import config
from mapping.store import db, sessions

HEADER = "X-Stocktake"
START, END, RENEW = "/api/session/start", "/api/session/end", "/api/session/renew"


def _engine():
    return db.connect(config.database_url())


def _refused(request: Request) -> Response | None:
    if request.headers.get(HEADER) != "1":
        return JSONResponse({"error": f"missing {HEADER} header"}, status_code=403)
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
        return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
    return None


def _secure(request: Request) -> bool:
    """Mark the cookie Secure when the visitor reached us over HTTPS (directly or through a proxy)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def _with_cookie(request: Request, cookie: sessions.Cookie) -> Response:
    response = JSONResponse({"ok": True})
    response.set_cookie(sessions.COOKIE, cookie.value, max_age=cookie.max_age, path="/", httponly=True,
                        samesite="lax", secure=_secure(request))
    return response


async def start(request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    try:
        code = str((await request.json()).get("code") or "")
    except ValueError:
        code = ""
    cookie = sessions.claim(_engine(), code)
    if cookie is None:
        return JSONResponse({"error": "that sign-in code is not valid any more; sign in again"}, status_code=400)
    return _with_cookie(request, cookie)


async def renew(request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    cookie = sessions.renew_cookie(_engine(), request.cookies.get(sessions.COOKIE))
    if cookie is None:
        return JSONResponse({"error": "no live session"}, status_code=401)
    return _with_cookie(request, cookie)


async def end(request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    sessions.sign_out(_engine(), cookie=request.cookies.get(sessions.COOKIE))
    response = JSONResponse({"ok": True})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


def routes() -> list[Route]:
    return [Route(START, start, methods=["POST"]), Route(RENEW, renew, methods=["POST"]),
            Route(END, end, methods=["POST"])]


def script(path: str, body: dict | None = None) -> str:
    """The snippet a page runs to call one of these routes (same origin, cookies included, no page reload)."""
    import json

    payload = json.dumps(json.dumps(body or {}))
    return (f"<script>fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin', headers: "
            f"{{'Content-Type': 'application/json', '{HEADER}': '1'}}, body: {payload}}});</script>")


def own_routing() -> None:
    """Let `st.navigation` route every request from the first one after a start (issue 19).

    Streamlit decides once per process whether the app uses the legacy `pages/` folder, when the first
    session starts; with `pages/` present it runs the first deep link's page file directly (raw page list,
    narrow layout, no role menu) until some run of app.py has called `st.navigation`. Deciding it here, when
    the server imports app.py and before any session, makes app.py run for every request.
    """
    import logging

    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    # Importing app.py outside a page run makes each st.Page warn "missing ScriptRunContext"; every real page
    # run has one, so the warning only clutters the operator's log.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
