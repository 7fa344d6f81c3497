"""The health controller: `GET /health` tells a monitor that the app is up.

Load balancers and monitoring tools ask a URL like this every few seconds and
stop sending traffic to an instance that does not answer 200. Step 04 makes it
check the database too, and answer 503 when the database is down.
"""

from flask import Blueprint

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health():
    """200 with {"status": "ok"} while the app can answer requests."""
    return {"status": "ok"}
