"""The production entry point: gunicorn serves the `app` defined here.

    cd 05_cors_pagination
    gunicorn --config deploy/gunicorn.conf.py deploy.wsgi:app

It is the same app as `flask run` serves, with two differences that matter once a
real network is involved: debug is off for certain, and the app trusts exactly one
proxy (our nginx) to tell it who the client is.
"""

from werkzeug.middleware.proxy_fix import ProxyFix

from app import create_app

# --8<-- [start:wsgi]
app = create_app()

# The debugger runs any Python code sent to it: never on a server others reach.
app.debug = False

# nginx connects to gunicorn, so without this every request would seem to come
# from 127.0.0.1 over http. nginx passes the real client in X-Forwarded-* headers;
# ProxyFix believes exactly one hop of them (x_for=1: the last address nginx
# added), so a client that sends its own X-Forwarded-For cannot pretend to be
# someone else. Trust as many hops as there are proxies you run, never more.
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
# --8<-- [end:wsgi]
