"""`python server.py`: the command line of step 01's server.

`server.py` calls `main()` from here when you run it: it reads the options, imports
`module:callable` from the folder you are in (as gunicorn does), listens, and serves
until Ctrl-C. Every mistake (a module that isn't there, a port in use) is one line
that says what to do, and exit code 2.

    python server.py [--host 127.0.0.1] [--port 8080] [--timeout 5]
                     [module:callable]
"""

import argparse
import contextlib
import errno
import importlib
import os
import sys

DEFAULT_APP = "app:application"


class AppLoadError(Exception):
    """`module:callable` could not be loaded; the message says why."""


def load_app(spec: str):
    """Import `module:callable` from the current folder, like gunicorn does."""
    module_name, _, name = spec.partition(":")
    sys.path.insert(0, os.getcwd())  # so `app:app` finds the app.py where you are
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise AppLoadError(f"importing {module_name!r} failed: {error}") from None
        raise AppLoadError(
            f"no module {module_name!r} in {os.getcwd()}: run server.py from the "
            f"folder that holds {module_name}.py"
        ) from None
    except Exception as error:
        raise AppLoadError(
            f"importing {module_name!r} failed: {type(error).__name__}: {error}"
        ) from None
    app = getattr(module, name, None)
    if not callable(app):
        raise AppLoadError(f"{module_name}.py has no callable named {name!r}")
    return app


def number_type(kind: str, low: float, high: float, convert=int):
    """An argparse type: a number from low to high, or one clear line if not."""

    def parse(text: str):
        """Convert the option's text, refusing anything out of range."""
        with contextlib.suppress(ValueError):
            if low <= convert(text) <= high:
                return convert(text)
        raise argparse.ArgumentTypeError(f"{text!r} is not {kind}")

    return parse


def parse_arguments(argv, idle_timeout: float) -> argparse.Namespace:
    """The options; argparse prints one line and exits with 2 on a mistake."""
    parser = argparse.ArgumentParser(description="Serve a WSGI application.")
    what = f"the WSGI app to serve, as module:callable (default: {DEFAULT_APP})"
    parser.add_argument("app", nargs="?", default=DEFAULT_APP, help=what)
    parser.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    port = number_type("a port (0 to 65535)", 0, 65535)
    parser.add_argument(
        "--port", type=port, default=8080, help="default: 8080; 0: any free one"
    )
    seconds = number_type("a number of seconds above 0", 1e-3, 1e6, float)
    silent = f"seconds a client may stay silent (default: {idle_timeout:g})"
    parser.add_argument("--timeout", type=seconds, default=idle_timeout, help=silent)
    args = parser.parse_args(argv)
    if ":" not in args.app:
        args.app += ":application"
    return args


def main(server_class, idle_timeout: float, argv=None) -> int:
    """Load the app, listen, serve until Ctrl-C; 2 when it can't start."""
    args = parse_arguments(argv, idle_timeout)
    try:
        app = load_app(args.app)
        server = server_class(args.host, args.port, app, args.timeout)
    except AppLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = f"port {args.port} is already in use; pick another with --port"
        else:
            reason = error.strerror or str(error)
        where = f"{args.host}:{args.port}"
        print(f"error: cannot listen on {where}: {reason}", file=sys.stderr)
        return 2
    host, port = server.server_address
    url = f"http://{host}:{port}"
    print(f"Serving {args.app} on {url} (press Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C
        server.serve_forever()  # closes the listening socket on its way out
    print("Stopped.", flush=True)
    return 0
