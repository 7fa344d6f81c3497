"""The health controller (controllers/health.py): GET /health."""


def test_health_answers_200_with_status_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {"status": "ok"}


def test_health_accepts_only_reads(client):
    response = client.post("/health")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
