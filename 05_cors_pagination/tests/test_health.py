"""The health controller (controllers/health.py): GET /health.

While the database is down it answers 503: see test_database_down.py.
"""


def test_health_answers_200_when_the_database_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "client": "127.0.0.1",
    }


def test_health_accepts_only_reads(client):
    response = client.post("/health")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
