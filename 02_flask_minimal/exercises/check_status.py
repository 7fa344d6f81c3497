"""Check of exercise 02-status: a dict becomes a JSON answer.

Run by `lessons practice check` on the learner's workspace (practice/02-status/).
"""

from lessons.practice_check import shown


def test_answers_the_status_as_json(module_client):
    """GET /api/status answers 200 application/json {"status": "ok", ...}."""
    response = module_client.get("/api/status")
    assert response.status_code == 200, shown(response)
    assert response.mimetype == "application/json", shown(response)
    expected = {"status": "ok", "step": "02_flask_minimal"}
    assert response.get_json() == expected, shown(response)
