"""A WSGI middleware: an object that is a WSGI app and wraps another WSGI app.

To the server it looks like an application; to the application it looks like a
server. That makes it a seam where you can add behaviour to *any* WSGI app without
touching it. This one adds an `X-Response-Time` header and logs one line per request.

Flask exposes the same seam (step 02): `app.wsgi_app` is the real WSGI callable, so

    app.wsgi_app = TimingMiddleware(app.wsgi_app)

wraps a Flask app exactly the way `timed_application` below wraps ours. Serve it with
`python server.py middleware:timed_application`.
"""

import time

from app import application


# --8<-- [start:middleware]
class TimingMiddleware:
    """Time each request: a header when the response starts, a log line at the end."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        """Called by the server like any WSGI app; calls the wrapped app in turn."""
        started = time.perf_counter()
        status_seen = []

        def timed_start_response(status, headers, exc_info=None):
            """The app's start_response, with one more header; exc_info passed on."""
            # The app has chosen its response: that's the time we can still report
            # in a header. Pass exc_info on, so the server's error rules still work.
            elapsed = (time.perf_counter() - started) * 1000
            status_seen.append(status)
            headers = [*headers, ("X-Response-Time", f"{elapsed:.2f}ms")]
            return start_response(status, headers, exc_info)

        def log_line():
            """Write `GET /path 200 OK 0.12ms` to wsgi.errors, the server's log."""
            elapsed = (time.perf_counter() - started) * 1000
            status = status_seen[-1] if status_seen else "-"
            method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
            environ["wsgi.errors"].write(f"{method} {path} {status} {elapsed:.2f}ms\n")

        result = self.app(environ, timed_start_response)
        return ClosingIterable(result, log_line)


class ClosingIterable:
    """The wrapped app's body, passed through; close() reaches the app, then logs.

    The server calls close() on what we return, and only on that (PEP 3333), so we
    must call the inner iterable's close() ourselves, or the app never cleans up.
    A generator with try/finally would not do: its finally never runs if the server
    closes it before the first item.
    """

    def __init__(self, iterable, on_close):
        self.iterable = iterable
        self.on_close = on_close

    def __iter__(self):
        """Hand out the app's body unchanged."""
        return iter(self.iterable)

    def close(self):
        """Close the inner iterable (if it can be closed), then run on_close."""
        try:
            if hasattr(self.iterable, "close"):
                self.iterable.close()
        finally:
            self.on_close()


# --8<-- [end:middleware]

# Our app from app.py, wrapped: the server can't tell the difference.
timed_application = TimingMiddleware(application)
