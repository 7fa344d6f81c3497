"""create_app() builds a new, separate app on every call."""

import pytest

from app import create_app


def test_each_call_builds_a_new_app():
    assert create_app() is not create_app()


@pytest.mark.parametrize(
    ("test_config", "testing"),
    [(None, False), ({"TESTING": True}, True)],
    ids=["no settings", "TESTING"],
)
def test_test_config_sets_the_new_apps_settings(test_config, testing):
    assert create_app(test_config).testing is testing


def test_settings_of_one_app_do_not_reach_another():
    first = create_app({"GREETING": "first"})
    second = create_app({"GREETING": "second"})
    assert first.config["GREETING"] == "first"
    assert second.config["GREETING"] == "second"


def test_every_app_gets_every_controller():
    # The blueprints are made once, when their modules are imported; registering
    # them on a second app must give it the same routes as the first.
    first, second = create_app(), create_app()
    first_routes = {rule.rule for rule in first.url_map.iter_rules()}
    second_routes = {rule.rule for rule in second.url_map.iter_rules()}
    assert first_routes == second_routes
    assert {"/", "/health", "/books"} <= first_routes
