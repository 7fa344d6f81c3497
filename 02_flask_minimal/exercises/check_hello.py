"""Check of exercise 02-hello: the URL variable, greeted and escaped.

Run by `lessons practice check` on the learner's workspace (practice/02-hello/).
"""

from lessons.practice_check import shown


def test_greets_the_name_from_the_url(module_client):
    """GET /hello/Ada answers 200 text/html with "Hello, Ada!"."""
    response = module_client.get("/hello/Ada")
    assert response.status_code == 200, shown(response)
    assert response.mimetype == "text/html", shown(response)
    assert "Hello, Ada!" in response.get_data(as_text=True), shown(response)


def test_escapes_html_in_the_name(module_client):
    """GET /hello/<i>Ada shows the name as text: &lt;i&gt;, never <i>."""
    response = module_client.get("/hello/<i>Ada")
    body = response.get_data(as_text=True)
    assert "&lt;i&gt;Ada" in body and "<i>" not in body, shown(response)
