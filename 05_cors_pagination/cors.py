"""CORS written by hand: which other web pages may read this API's answers.

A browser runs a page's JavaScript under the page's *origin* (scheme, host and
port). The same-origin policy lets that script send requests anywhere, but read
only answers from its own origin — unless the answer says otherwise with CORS
headers. This module adds those headers, and answers the browser's "preflight"
question before a request that is not "simple" (a JSON body, PUT, DELETE...).

The rules come from the Fetch standard, section 3.2 "CORS protocol":
https://fetch.spec.whatwg.org/#http-cors-protocol
"""

from flask import Flask, Response, current_app, request

# The docs site (make docs) is the origin the course trusts by default.
DEFAULT_ORIGINS = "http://127.0.0.1:8000,http://localhost:8000"

# Headers a cross-origin script may read besides the few "safelisted" ones
# (Fetch §3.2.5): without this, fetch() sees no Link or X-Total-Count at all.
EXPOSED_HEADERS = "Link, X-Total-Count, Location"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"  # seconds a browser may reuse a preflight answer


def parse_origins(text: str) -> frozenset[str]:
    """'http://a:1, http://b:2' -> {'http://a:1', 'http://b:2'} (exact strings)."""
    return frozenset(origin.strip() for origin in text.split(",") if origin.strip())


def init_cors(app: Flask) -> None:
    """Read the CORS settings and hook the two functions below into the app."""
    app.config.setdefault("CORS_ORIGINS", DEFAULT_ORIGINS)
    app.config.setdefault("CORS_ALLOW_CREDENTIALS", False)
    origins = parse_origins(app.config["CORS_ORIGINS"])
    # Fetch §3.2.5: a browser refuses credentialed answers that say "*", so a
    # configuration asking for both is a mistake we report at start-up.
    if "*" in origins and app.config["CORS_ALLOW_CREDENTIALS"]:
        raise ValueError(
            "CORS_ALLOW_CREDENTIALS cannot be used with CORS_ORIGINS='*': "
            "list the allowed origins one by one instead"
        )
    app.config["CORS_ALLOWED_ORIGINS"] = origins
    app.before_request(answer_preflight)
    app.after_request(add_cors_headers)


# --8<-- [start:allowed]
def allowed_origin(origin: str | None) -> str | None:
    """The value for Access-Control-Allow-Origin, or None to say nothing.

    The match is exact, string for string. Checking with startswith() or a loose
    regular expression would let http://127.0.0.1:8000.evil.example in.
    "null" is the origin of sandboxed frames and local files: anyone can send
    it, so it is never trusted.
    """
    allowed = current_app.config["CORS_ALLOWED_ORIGINS"]
    if not origin or origin == "null":
        return None
    if origin in allowed:
        return origin  # echo the one origin, never the whole list
    if "*" in allowed:
        return "*"
    return None


# --8<-- [end:allowed]


# --8<-- [start:preflight]
def answer_preflight() -> Response | None:
    """Answer a CORS preflight before routing can get in the way.

    A preflight is an OPTIONS request with Access-Control-Request-Method
    (Fetch §3.2.2). Answering it here, in before_request, before routing has
    its say, means a URL with a trailing slash or a URL with no route (a 404)
    can never turn the preflight into an error the browser would report as a
    CORS failure.
    """
    is_preflight = (
        request.method == "OPTIONS"
        and "Access-Control-Request-Method" in request.headers
    )
    if not is_preflight or allowed_origin(request.headers.get("Origin")) is None:
        return None  # a plain OPTIONS, or a stranger: route it as usual
    response = Response(status=204)
    del response.headers["Content-Type"]  # 204 has no body, so no type of body
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response  # add_cors_headers() adds the origin, as for every answer


# --8<-- [end:preflight]


# --8<-- [start:headers]
def add_cors_headers(response: Response) -> Response:
    """Add the CORS headers to every answer: successes, errors and preflights.

    An error answer needs them too: without them a 404 or a 422 reaches the page
    as an opaque "CORS error" instead of the problem details the API sent.
    """
    # The answer depends on the Origin header, so a cache must keep one copy per
    # origin (RFC 9110 §12.5.5). vary.add() keeps any Vary value already set.
    response.vary.add("Origin")
    origin = allowed_origin(request.headers.get("Origin"))
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if current_app.config["CORS_ALLOW_CREDENTIALS"] and origin != "*":
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


# --8<-- [end:headers]
