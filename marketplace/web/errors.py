"""Error pages in the site's look.

The app's error handlers answer in JSON (marketplace/core/errors.py); on a
page request the answer is turned into a page with the same status and
message here, after the fact, so that every error of every view (a 404 of an
unknown address, a 403 from a service, a 500) gets one, and no view needs its
own handlers. A script asking for JSON (progressive enhancement) keeps JSON.
"""
from __future__ import annotations

import logging

import orjson
from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError

from marketplace.web.sessions import is_page_request

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be used",
    401: "Please log in",
    403: "You cannot open this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "That could not be done now",
    413: "That upload is too large",
    422: "Some values are not valid",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
CSRF_MESSAGE = "This form has expired or did not come from this site. Go back, reload the page and try again."


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, lambda error: error_page(400, CSRF_MESSAGE))
    app.after_request(_page_for_json_error)


def error_page(status: int, message: str) -> Response:
    title = TITLES.get(status, "Something went wrong" if status >= 500 else "That could not be done")
    body = render_template("web/error.html", status=status, title=title, message=message)
    return Response(body, status=status, mimetype="text/html")


def _page_for_json_error(response: Response) -> Response:
    if (response.status_code < 400 or response.mimetype != "application/json" or not is_page_request(request)
            or request.accept_mimetypes.best == "application/json"):
        return response
    message = _message_of(response)
    try:
        page = error_page(response.status_code, message)
    except Exception:  # the layout itself failed: the JSON answer is still an answer
        log.exception("the error page could not be rendered")
        return response
    for name in ("Retry-After", "Allow", "WWW-Authenticate"):
        if name in response.headers:
            page.headers[name] = response.headers[name]
    return page


def _message_of(response: Response) -> str:
    try:
        message = orjson.loads(response.get_data()).get("message", "")
    except (orjson.JSONDecodeError, AttributeError):
        message = ""
    return message
