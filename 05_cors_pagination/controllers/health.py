"""The health controller: `GET /health` tells a monitor that the app is up.

Load balancers and monitoring tools ask a URL like this every few seconds and
stop sending traffic to an instance that does not answer 200. Step 04 makes it
check the database too: when the database is down it answers 503 (errors.py).
Step 05 adds `client`: the address the app believes the request came from,
which shows what deploy/ (nginx in front, ProxyFix in wsgi.py) changes.
"""

from flask import Blueprint, request

from db_connection import get_db

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health():
    """200 while the app and its database answer; 503 when the database is down."""
    with get_db().cursor() as cursor:
        cursor.execute("SELECT 1")  # the smallest question the server can answer
        cursor.fetchone()
    # Behind a proxy, remote_addr is the proxy's address unless the app is told
    # to believe the proxy's X-Forwarded-For (deploy/wsgi.py does, for one hop).
    return {"status": "ok", "database": "ok", "client": request.remote_addr}
