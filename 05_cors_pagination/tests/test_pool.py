"""MYSQL_POOL_SIZE: connections lent from a pool instead of one per request."""

from app import create_app
from db_connection import close_db, get_db


def connection_ids(app, requests=3) -> list[int]:
    """The server-side id of the connection each of `requests` requests used."""
    ids = []
    for _ in range(requests):
        with app.test_request_context("/books"):
            ids.append(get_db().connection_id)
            close_db()
    return ids


def test_without_a_pool_every_request_opens_a_new_connection(database):
    app = create_app({"TESTING": True, **database, "MYSQL_POOL_SIZE": "0"})
    ids = connection_ids(app)
    assert len(set(ids)) == len(ids)


def test_with_a_pool_requests_reuse_the_same_connections(database):
    app = create_app({"TESTING": True, **database, "MYSQL_POOL_SIZE": "2"})
    ids = connection_ids(app, requests=6)
    assert len(set(ids)) <= 2


def test_the_pooled_api_answers_like_the_plain_one(database):
    app = create_app({"TESTING": True, **database, "MYSQL_POOL_SIZE": "2"})
    client = app.test_client()
    book = {"title": "Beloved", "author": "Toni Morrison"}
    created = client.post("/books", json=book)
    assert created.status_code == 201
    assert client.get("/books").get_json()["total"] == 1


def test_a_pooled_app_recovers_after_the_database_restarts(database, mysql_control):
    app = create_app({"TESTING": True, **database, "MYSQL_POOL_SIZE": "2"})
    client = app.test_client()
    assert client.get("/health").status_code == 200
    mysql_control.stop()
    assert client.get("/health").status_code == 503
    mysql_control.start()
    assert client.get("/health").status_code == 200
