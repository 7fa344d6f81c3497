"""Pagination: reading page/per_page/after_id and writing the Link header.

Two ways to page through a list:

* offset paging (`?page=3&per_page=20`): easy to jump to any page, but the
  database still walks past every row before the page (OFFSET 40 reads 60 rows),
  so deep pages get slower and slower;
* keyset paging (`?after_id=1234`): "the next rows after the last one I saw".
  With an index on id the database jumps straight there: the same cost at any
  depth. You cannot jump to page 500, but you can follow `next` links forever.
"""

import math
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
LARGEST_ID = 2**63 - 1  # MySQL's largest integer (BIGINT); our ids are INT UNSIGNED


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for, checked and with defaults filled in."""

    page: int  # 1-based page number (offset paging)
    per_page: int  # rows per page, at most MAX_PER_PAGE
    after_id: int | None  # set for keyset paging instead of `page`
    asked_per_page: int  # what the client sent, to say so when we clamped it

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.per_page


def whole_number(args: MultiDict, name: str, smallest: int) -> int | None:
    """The query parameter as an int >= smallest; None when absent; 400 otherwise."""
    text = args.get(name)
    if text is None:
        return None
    # isdigit() accepts only 0-9 (isdecimal() would take other scripts' digits
    # too), so "1.5", "-2", " 3" and "1e3" are all refused, as the contract says.
    if not (text.isascii() and text.isdigit()):
        raise BadRequest(f"{name} must be a whole number of {smallest} or more")
    # Check the length before int(): Python refuses to convert more than 4300
    # digits (a ValueError), and no page or id needs more than 19.
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(LARGEST_ID)) or int(digits) > LARGEST_ID:
        raise BadRequest(f"{name} must be at most {LARGEST_ID}")
    if int(digits) < smallest:
        raise BadRequest(f"{name} must be a whole number of {smallest} or more")
    return int(digits)


# --8<-- [start:read_page_request]
def read_page_request(args: MultiDict) -> PageRequest:
    """Check page, per_page and after_id; a bad value is a 400 with the reason."""
    page = whole_number(args, "page", smallest=1)
    after_id = whole_number(args, "after_id", smallest=0)
    if page is not None and after_id is not None:
        raise BadRequest("use page or after_id, not both")
    asked = whole_number(args, "per_page", smallest=1) or DEFAULT_PER_PAGE
    # Too large is not an error: we serve the largest page we allow and say so.
    return PageRequest(
        page=page or 1,
        per_page=min(asked, MAX_PER_PAGE),
        after_id=after_id,
        asked_per_page=asked,
    )


# --8<-- [end:read_page_request]


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill (0 rows fill 0 pages)."""
    return math.ceil(total / per_page)


# The query parameters GET /books reads; links repeat these and no others.
LINK_PARAMETERS = ("sort", "author", "q", "page", "per_page", "after_id")


def url_with(**changes: int | None) -> str:
    """This request's absolute URL with some query parameters replaced.

    The other parameters the API reads (sort, author, q) are kept, so following
    a link keeps the same filter and order. Parameters it does not read are
    left out: a client must not be able to make our links (four of them, in
    one header) as long as it likes. A value of None removes the parameter.
    """
    args = MultiDict(
        (name, value)
        for name, value in request.args.items(multi=True)
        if name in LINK_PARAMETERS
    )
    for name, value in changes.items():
        args.pop(name, None)
        if value is not None:
            args[name] = str(value)
    return f"{request.base_url}?{urlencode(list(args.items(multi=True)))}"


# --8<-- [start:link_header]
def link_header(links: dict[str, str]) -> str:
    """RFC 8288 §3: `<url>; rel="next", <url>; rel="last"`."""
    return ", ".join(f'<{url}>; rel="{relation}"' for relation, url in links.items())


def offset_links(page_request: PageRequest, pages: int) -> dict[str, str]:
    """first, prev, next and last links for offset paging."""
    per_page = page_request.per_page
    page = page_request.page
    last = max(pages, 1)
    links = {"first": url_with(page=1, per_page=per_page)}
    if page > 1:
        links["prev"] = url_with(page=min(page - 1, last), per_page=per_page)
    if page < pages:
        links["next"] = url_with(page=page + 1, per_page=per_page)
    links["last"] = url_with(page=last, per_page=per_page)
    return links


# --8<-- [end:link_header]


def keyset_links(page_request: PageRequest, next_after_id: int | None) -> dict:
    """The first and (when there are more rows) next links for keyset paging."""
    per_page = page_request.per_page
    links = {"first": url_with(after_id=0, page=None, per_page=per_page)}
    if next_after_id is not None:
        links["next"] = url_with(after_id=next_after_id, page=None, per_page=per_page)
    return links


def clamp_notice(page_request: PageRequest) -> dict[str, str]:
    """A note for the body when per_page was larger than we allow."""
    if page_request.asked_per_page <= MAX_PER_PAGE:
        return {}
    return {
        "notice": (
            f"per_page={page_request.asked_per_page} is more than the most we "
            f"send, {MAX_PER_PAGE}; this page has up to {MAX_PER_PAGE} items"
        )
    }
