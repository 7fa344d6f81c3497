"""Check of exercise 02-status: a dict becomes a JSON answer.

Run by `lessons practice check` on the learner's workspace (practice/02-status/).
"""

import pytest

from lessons.practice_check import shown


@pytest.fixture
def client(learner):
    """Flask's test client on the workspace's module-level `app`."""
    app = learner("app").app
    app.testing = True  # an error in a view reaches the check, not a 500 page
    return app.test_client()


def test_answers_the_status_as_json(client):
    """GET /api/status answers 200 application/json {"status": "ok", ...}."""
    response = client.get("/api/status")
    assert response.status_code == 200, shown(response)
    assert response.mimetype == "application/json", shown(response)
    expected = {"status": "ok", "step": "02_flask_minimal"}
    assert response.get_json() == expected, shown(response)
