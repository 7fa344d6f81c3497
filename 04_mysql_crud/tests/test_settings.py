"""Where the app's settings come from: yours for the real app, a test's for a test.

`create_app()` with no settings is what `flask run` and gunicorn build: it reads
MYSQL_HOST, MYSQL_PORT, ... from the environment or a `.env` file.
`create_app(test_config)` is a test's app: MySQL's defaults and the test's
settings, so the database settings in your own `.env` never reach a test's app.
"""

from app import create_app


def test_the_real_app_reads_the_database_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("MYSQL_HOST", "db.example")
    monkeypatch.setenv("MYSQL_PORT", "3307")
    app = create_app()
    assert app.config["MYSQL_HOST"] == "db.example"
    assert app.config["MYSQL_PORT"] == "3307"


def test_a_test_app_gets_its_own_settings_and_never_the_environment(monkeypatch):
    monkeypatch.setenv("MYSQL_HOST", "db.example")
    app = create_app({"TESTING": True, "MYSQL_DATABASE": "test_only"})
    assert app.config["MYSQL_DATABASE"] == "test_only"  # the test's own
    assert app.config["MYSQL_HOST"] == "127.0.0.1"  # the default, not db.example
