"""A thread per connection, an idle timeout, and an access-log line per request."""

import re

import pytest
from raw_http import RawClient, http_request, request_bytes

from app import application


def test_a_slow_client_does_not_block_another(address):
    with RawClient(address) as slow:
        slow.send(b"GET /hel")  # half a request line, and then nothing
        response = http_request(address, request_bytes("GET", "/hello?name=fast"))
        assert b"Hello, fast!" in response.body


@pytest.mark.parametrize("sent", [b"", b"GET /hel"], ids=["silent", "half a request"])
def test_an_idle_connection_is_closed_after_the_timeout(serve, sent):
    address = serve(application, idle_timeout=0.2)
    with RawClient(address) as client:
        client.send(sent)
        # The server hangs up by itself; our own 5-second timeout never fires.
        assert client.read_until_closed() == b""


# host ident user [time] "request line" status bytes: Apache's and nginx's default.
COMMON_LOG_FORMAT = re.compile(
    r"127\.0\.0\.1 - - "
    r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "  # [10/Oct/2000:13:55:36 -0700]
    r'"(.*)" (\d{3}) (\d+|-)'
)


def test_every_request_gets_one_common_log_format_line(serve):
    address = serve(application)
    last = request_bytes("HEAD", headers="Connection: close\r\n")
    with RawClient(address) as client:
        client.send(request_bytes("GET", "/hello?name=Ada") + last)
        responses = [client.read_response(), client.read_response("HEAD")]
        client.read_until_closed()  # the server logs a request before it hangs up
    with RawClient(address) as client:
        client.send(b"GARBAGE\r\n\r\n")
        responses.append(client.read_response())
        client.read_until_closed()
    lines = serve.log.getvalue().splitlines()
    logged = [COMMON_LOG_FORMAT.fullmatch(line).groups() for line in lines]
    assert [request_line for request_line, _, _ in logged] == [
        "GET /hello?name=Ada HTTP/1.1",
        "HEAD / HTTP/1.1",
        "GARBAGE",
    ]
    for (_, status, size), response in zip(logged, responses, strict=True):
        assert int(status) == response.status
        assert size == (str(len(response.body)) if response.body else "-")
