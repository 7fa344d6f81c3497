"""One JSON endpoint in Django, in one file, for `lessons bench boot`.

A Django project is usually several files (`django-admin startproject`); with
settings.configure() it fits in one, so both frameworks do the same small job.
"""

import secrets

from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["testserver", "127.0.0.1"],
    ROOT_URLCONF=__name__,
    SECRET_KEY=secrets.token_hex(32),  # made anew each start: no sessions here
    MIDDLEWARE=[],
)

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after the settings)
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def status(request):
    """The same answer as flask_app.py's route."""
    return JsonResponse({"status": "ok"})


urlpatterns = [path("status", status)]
application = get_wsgi_application()
