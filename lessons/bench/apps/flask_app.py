"""One JSON endpoint in Flask, for `lessons bench boot` (Flask vs Django)."""

from flask import Flask

application = Flask(__name__)


@application.get("/status")
def status():
    """The same answer as django_app.py's view."""
    return {"status": "ok"}
