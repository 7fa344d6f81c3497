"""The docs site: built strictly, showing the real code, and opened in a real browser.

The site's promise is that the code on every page is the code the tests run. These
tests hold it to that: the strict build is clean and fails on a missing snippet,
every code section a page includes shows up in the built page, README copies of
code still match their files, the step diffs are current, the API reference's
examples are what the API answers, and headless Chromium renders the pages and
runs the "Try it live" page against the real API across origins. They also check
the claims of the `__pycache__` page and the script that measures its numbers.
"""

import contextlib
import html
import http.client
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lessons.bench import boot, common
from lessons.browser import dump_dom
from lessons.diff import docs_diff
from lessons.diff import file_diffs as diff_files
from lessons.processes import free_port, running
from lessons.pytest_plugin import require_part
from lessons.steps import ROOT, all_steps

DOCS = ROOT / "docs"
STEPS = all_steps()

# A snippet line in a page: --8<-- "path" or --8<-- "path:section".
INCLUDE = re.compile(r'^\s*--8<-- "(?P<path>[^":]+)(?::(?P<section>[a-z_0-9-]+))?"')
HEADING = re.compile(r"^(#{1,2}) (?P<text>.+)$", re.MULTILINE)
TAG = re.compile(r"<[^>]+>")
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
TEXT_BLOCK = re.compile(r"^```text\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A fenced block and its language; `text` blocks hold output, never code.
CODE_BLOCK = re.compile(r"^```(?!text\n)[\w+-]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def build_site(config: Path, site: Path) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` the way CI does, from the repository root.

    The root matters: the snippets' base_path "." means paths like
    "01_raw_wsgi/app.py" are read from the folder mkdocs runs in.
    """
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    command += ["--config-file", str(config), "--site-dir", str(site)]
    # The variable silences Material's notice about MkDocs 2.0, which is not ours.
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def page_source(relative: str) -> str:
    """The Markdown of a page, e.g. page_source("concepts/wsgi.md")."""
    return (DOCS / relative).read_text(encoding="utf-8")


def built_page(site: Path, relative: str) -> Path:
    """Where mkdocs writes a page: a/b.md and a/b/README.md -> a/b/index.html."""
    page = Path(relative)
    if page.name in ("index.md", "README.md"):
        return site / page.parent / "index.html"
    return site / page.with_suffix("") / "index.html"


def visible_text(page_html: str) -> str:
    """The text of an HTML page: tags removed, entities such as &lt; decoded."""
    return html.unescape(TAG.sub("", page_html))


def read_section(path: Path, name: str) -> list[str]:
    """The lines between `--8<-- [start:name]` and `--8<-- [end:name]` in a file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if f"[start:{name}]" in line)
    end = next(i for i, line in enumerate(lines) if f"[end:{name}]" in line)
    return [line for line in lines[start + 1 : end] if "--8<--" not in line]


def code_includes() -> list[tuple[str, str, str]]:
    """(page, file, section) for every named code section a page includes."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        relative = page.relative_to(DOCS).as_posix()
        for line in page.read_text(encoding="utf-8").splitlines():
            match = INCLUDE.match(line)
            if match and match["section"]:
                found.append((relative, match["path"], match["section"]))
    return found


def step_page(step) -> str:
    """The docs page of a step: docs/<step folder>/README.md ('' when none yet).

    The pages mirror the step folders, so the links between READMEs (such as
    ../04_mysql_crud/README.md) work on the site as they do on GitHub.
    """
    page = f"{step.name}/README.md"
    return page if (DOCS / page).exists() else ""


def headings(markdown: str) -> list[str]:
    """The # and ## headings of a page, as a reader sees them (no ` marks)."""
    return [match["text"].replace("`", "") for match in HEADING.finditer(markdown)]


@pytest.fixture(scope="module")
def site_build(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The site, built once for this module with `mkdocs build --strict`."""
    folder = tmp_path_factory.mktemp("site")
    return folder, build_site(ROOT / "mkdocs.yml", folder)


@pytest.fixture(scope="module")
def site(site_build) -> Path:
    """The built site's folder (the build must have passed)."""
    folder, result = site_build
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}")
    return folder


# --- the build -----------------------------------------------------------------


def test_the_strict_build_is_clean(site_build):
    _folder, result = site_build
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output


MKDOCS_YML = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
SITE_URL = re.search(r"^site_url: (\S+)$", MKDOCS_YML, re.MULTILINE)[1]

# What a page loads by itself: scripts, style sheets, fonts, images, icons. Plain
# links (<a href>) are for the reader to follow and are left alone.
LOADED_URL = re.compile(
    r"""<(?:script|img|source|iframe)\b[^>]*\bsrc=["']?([^"' >]+)"""
    r"""|<link\b[^>]*\bhref=["']?([^"' >]+)"""
    r"""|url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)""",
    re.IGNORECASE,
)


def test_the_built_site_loads_nothing_from_the_network(site):
    # A classroom or a train may have no network: every script, style sheet and
    # font the site loads must come from the site itself.
    external = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".css"):
            continue
        for match in LOADED_URL.finditer(path.read_text(encoding="utf-8")):
            url = next(group for group in match.groups() if group)
            if url.startswith(("http:", "https:", "//")):
                external.append(f"{path.relative_to(site)}: {url}")
    # The <link rel="canonical"> names the site's own address; it loads nothing.
    external = [line for line in external if SITE_URL not in line]
    assert not external, "the site loads from the network:\n" + "\n".join(external)


def test_the_site_builds_with_zensical_strictly(tmp_path):
    # Zensical, Material's successor, must build the same mkdocs.yml. It wants
    # its config and its output inside the project, so the test writes both
    # under .lessons/ (the course's own scratch folder, git-ignored).
    scratch = ROOT / ".lessons" / "zensical"
    scratch.mkdir(parents=True, exist_ok=True)
    config = ROOT / f".lessons-zensical-{os.getpid()}.yml"
    config.write_text(
        f"{MKDOCS_YML}\nsite_dir: .lessons/zensical/site\n", encoding="utf-8"
    )
    zensical = [str(Path(sys.executable).parent / "zensical"), "build", "--strict"]
    try:
        result = subprocess.run(
            [*zensical, "-f", config.name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        config.unlink()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No issues found" in output
    assert (scratch / "site" / "04_mysql_crud" / "index.html").exists()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.parametrize(
    ("include", "named_in_the_error"),
    [
        ('--8<-- "01_raw_wsgi/no_such_file.py"', "no_such_file.py"),
        ('--8<-- "01_raw_wsgi/app.py:no_such_section"', "no_such_section"),
    ],
    ids=["missing-file", "missing-section"],
)
def test_a_missing_snippet_fails_the_build_and_names_it(
    tmp_path, include, named_in_the_error
):
    # A copy of the real config and pages, plus one page with a broken include.
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    index = tmp_path / "docs" / "index.md"
    index.write_text(index.read_text(encoding="utf-8") + f"\n{include}\n")

    result = build_site(tmp_path / "mkdocs.yml", tmp_path / "site")

    assert result.returncode != 0
    assert named_in_the_error in result.stdout + result.stderr


# --- the real code on the pages ------------------------------------------------


@pytest.mark.parametrize(
    ("page", "file", "section"), code_includes(), ids=lambda value: str(value)
)
def test_every_included_code_section_shows_in_the_built_page(site, page, file, section):
    text = visible_text(built_page(site, page).read_text(encoding="utf-8"))
    code = [line.strip() for line in read_section(ROOT / file, section)]
    missing = [line for line in code if line and line not in text]
    assert not missing, f"{page} lacks lines of {file}:{section}: {missing[:3]}"


def test_step_01_page_shows_the_real_application_function(site):
    first_line = read_section(ROOT / "01_raw_wsgi" / "app.py", "application")[0]
    assert first_line.startswith("def application(")
    page = built_page(site, step_page(STEPS[0])).read_text(encoding="utf-8")
    assert first_line in visible_text(page)


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.name)
def test_every_step_has_a_page_that_includes_its_readme(site, step):
    page = step_page(step)
    assert page, f"docs/{step.name}/README.md is missing: every step needs a page"
    assert f'--8<-- "{step.name}/README.md"' in page_source(page)
    assert f": {page}\n" in MKDOCS_YML, f"{page} is not in the nav of mkdocs.yml"
    text = visible_text(built_page(site, page).read_text(encoding="utf-8"))
    assert step.title in text


def readme_code_blocks(step) -> list[str]:
    """The fenced code blocks of a step's READMEs (deploy/README.md too)."""
    blocks = []
    for readme in [path for path in step.files() if path.name == "README.md"]:
        blocks += CODE_BLOCK.findall(readme.read_text(encoding="utf-8"))
    return blocks


def stripped_lines(text: str) -> list[str]:
    """The text's lines without indentation, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def copied_from(block: list[str], source: list[str]) -> bool:
    """True when most of the block's lines occur in the source: it is a copy.

    An example written for the README (a file for the learner to create, a
    three-line sketch of the idea) shares a line or two with the real code at
    most; a copy shares nearly all of them, and still does after it drifted.
    """
    found = [line for line in block if line in source]
    return len(found) * 2 > len(block)


def contains_run(source: list[str], block: list[str]) -> bool:
    """True when `block` occurs in `source` as one run of consecutive lines."""
    size = len(block)
    return any(source[i : i + size] == block for i in range(len(source) - size + 1))


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.name)
def test_readme_code_copied_from_a_step_file_matches_it(step):
    # A README is read on GitHub too, so its code blocks are copies. The page
    # includes the README whole, so a copy that drifted would show wrong code:
    # every block copied from a file of the step must still be that code, line
    # for line. Examples written only for the README are left alone.
    files = {
        path: stripped_lines(path.read_text(encoding="utf-8"))
        for path in step.files()
        if path.name != "README.md"
        and path.suffix != ".json"
        and "tests" not in path.relative_to(step.path).parts
    }
    for block in map(stripped_lines, readme_code_blocks(step)):
        sources = [path for path, lines in files.items() if copied_from(block, lines)]
        assert not sources or any(contains_run(files[p], block) for p in sources), (
            f"{step.name}/README.md shows a copy of "
            f"{', '.join(str(path.relative_to(ROOT)) for path in sources)} that "
            f"no longer matches it; the block starts: {block[0]!r}"
        )


PAIRS = list(itertools.pairwise(STEPS))


@pytest.mark.parametrize(
    ("old", "new"), PAIRS, ids=[f"{old.number}-{new.number}" for old, new in PAIRS]
)
def test_committed_step_diff_is_current(old, new):
    committed = DOCS / "diffs" / f"{new.number}.md"
    assert committed.exists(), "make it with: lessons diff --write"
    current = docs_diff(old.path, new.path)
    assert committed.read_text(encoding="utf-8") == current, (
        f"{committed.relative_to(ROOT)} is out of date; remake the step diffs "
        "with: lessons diff --write"
    )
    page = step_page(new)
    assert page, f"docs/{new.name}/README.md is missing: it shows this diff"
    assert f'--8<-- "docs/diffs/{new.number}.md"' in page_source(page)


def test_the_step_diffs_are_one_folded_block_per_file_and_not_searched(site):
    index = json.loads((site / "search" / "search_index.json").read_text())
    searched = " ".join(entry["text"] for entry in index["docs"])
    # A line only the diff of step 05 holds: the site's search must not find it.
    assert "+++ 05_cors_pagination/pagination.py" not in searched
    page = built_page(site, "05_cors_pagination/README.md").read_text()
    assert page.count("<summary><code>") >= len(
        diff_files(STEPS[3].path, STEPS[4].path)
    )


# --- the site in a real browser ------------------------------------------------


@pytest.fixture(scope="module")
def served_site(site):
    """The built site served over HTTP on loopback, as `make docs` would."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
    command += ["--directory", str(site), str(port)]
    with running(command, port):
        yield f"http://127.0.0.1:{port}"


def rendered_text(url: str, profile: Path) -> str:
    """The text of the page after headless Chromium has loaded and run it."""
    chromium = require_part("chromium")
    return visible_text(dump_dom(chromium, url, profile))


# What the pages ask of another host by name cannot leave the machine: every
# host name but loopback fails to resolve, as on a closed network.
NO_NAME_RESOLUTION = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def requests_from_pages(net_log: Path) -> list[str]:
    """The URL of every request a page made, read from Chromium's net log.

    A request made by a page names that page's origin as its initiator.
    Chromium's own calls home (sign-in, network time, and new ones in each
    version, which no flag turns off) name "not an origin", so they are left
    out without keeping a list of Google's hosts. A preconnect opens a
    connection but makes no request, so it is not in this list; the
    <link rel="preconnect"> a page is built with fails
    test_the_built_site_loads_nothing_from_the_network instead.
    """
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        from_a_page = params.get("initiator", "not an origin") != "not an origin"
        if event["type"] == start and "url" in params and from_a_page:
            urls.append(params["url"])
    return urls


# A page of our own, written into the built site for the tests only: it opens
# pages in frames (same origin, so it may look inside) and writes down, for each
# one, its DOM once its scripts have run and what each visible copy button would
# put on the clipboard. So one Chromium loads every page the tests below read:
# starting Chromium costs more than loading a page in it.
PROBE = """<!doctype html>
<pre id="pages"></pre>
<script>
  const pages = {};
  for (const path of %s) {
    const frame = document.createElement("iframe");
    frame.width = 1280;
    frame.height = 800;
    frame.src = path;
    frame.addEventListener("load", () => setTimeout(() => {
      const page = frame.contentDocument;
      const copies = [];
      for (const button of page.querySelectorAll("[data-clipboard-target]")) {
        if (button.offsetParent === null) continue;  // hidden: nothing to click
        copies.push(page.querySelector(button.dataset.clipboardTarget).textContent);
      }
      pages[path] = {html: page.documentElement.outerHTML, copies: copies};
      document.getElementById("pages").textContent = JSON.stringify(pages);
    }, 1000));
    document.body.append(frame);
  }
</script>
"""
# The pages the browser tests read: a few of each kind, and every step's.
BROWSED = ["/", "/concepts/wsgi/", "/api/", *(f"/{step.name}/" for step in STEPS)]


@dataclass
class Browsed:
    """What one headless Chromium saw of the pages, and what it asked the net."""

    pages: dict[str, dict]  # path -> {"html": its DOM, "copies": [texts]}
    asked: list[str]  # the URL of every request the pages made
    nobody: str  # an address where no API listens, given to the live page

    def page(self, path: str) -> dict:
        assert path in self.pages, f"{path} did not finish loading in Chromium"
        return self.pages[path]


@pytest.fixture(scope="module")
def browsed(site, served_site, tmp_path_factory) -> Browsed:
    """Every page in BROWSED, and the live page with no API, in one Chromium.

    What the HTML names is not all a page loads: scripts load more (Material
    fetched mermaid from a CDN for one diagram). So Chromium writes a net log of
    every request, and no host name but loopback resolves.
    """
    chromium = require_part("chromium")
    nobody = f"http://127.0.0.1:{free_port()}"  # a port where nothing listens
    paths = [*BROWSED, f"/live/?api={nobody}"]
    (site / "probe.html").write_text(PROBE % json.dumps(paths), encoding="utf-8")
    profile = tmp_path_factory.mktemp("chromium-profile")
    net_log = tmp_path_factory.mktemp("net-log") / "net-log.json"
    flags = (NO_NAME_RESOLUTION, f"--log-net-log={net_log}")
    dom = dump_dom(chromium, f"{served_site}/probe.html", profile, flags=flags)
    found = re.search(r'<pre id="pages">(.*?)</pre>', dom, re.DOTALL)
    pages = json.loads(html.unescape(found[1]) or "{}") if found else {}
    return Browsed(pages, requests_from_pages(net_log), nobody)


@pytest.mark.browser
def test_pages_load_nothing_from_other_hosts_in_a_browser(browsed):
    for path in [*BROWSED, f"/live/?api={browsed.nobody}"]:
        assert "<article" in browsed.page(path)["html"], f"{path} was not rendered"
    own = [url for url in browsed.asked if url.startswith("http://127.0.0.1:")]
    # The probe's frames are in the log, so the log was read right.
    assert any(url.endswith("/concepts/wsgi/") for url in own), browsed.asked
    asked = [url for url in browsed.asked if url not in own]
    assert asked == [], f"one of {list(browsed.pages)} asked the network for {asked}"


@pytest.mark.browser
@pytest.mark.parametrize(
    ("page", "path"),
    [
        ("index.md", "/"),
        ("01_raw_wsgi/README.md", "/01_raw_wsgi/"),
        ("concepts/wsgi.md", "/concepts/wsgi/"),
    ],
)
def test_chromium_renders_the_page_text(browsed, page, path):
    text = visible_text(browsed.page(path)["html"])
    expected = headings(page_source(page))
    if page == step_page(STEPS[0]):
        expected.append(STEPS[0].title)  # the README's heading, included whole
    missing = [heading for heading in expected if heading not in text]
    assert expected
    assert not missing, f"{path} rendered without: {missing}"


@pytest.mark.browser
def test_copy_buttons_copy_the_commands_and_never_the_output(browsed):
    for step in STEPS[1:]:
        readme = (step.path / "README.md").read_text(encoding="utf-8")
        commands = [block.strip() for block in BASH_BLOCK.findall(readme)]
        outputs = [block.strip() for block in TEXT_BLOCK.findall(readme)]
        copied = [text.strip() for text in browsed.page(f"/{step.name}/")["copies"]]
        page = f"the {step.name} page"
        assert commands, f"{step.name}/README.md shows no commands"
        for command in commands:
            assert command in copied, f"no copy button on {page} copies: {command}"
        for text in copied:
            assert text not in outputs, f"{page}: a button copies output: {text[:80]}"
            prompts = [line for line in text.splitlines() if line.startswith("$ ")]
            assert not prompts, f"{page}: a button copies a prompt: {prompts[0]}"


# --- the __pycache__ page: its claims and its measurements ---------------------


@pytest.mark.parametrize(
    ("options", "settings", "cache_written"),
    [
        ([], {}, True),
        (["-B"], {}, False),
        ([], {"PYTHONDONTWRITEBYTECODE": "1"}, False),
    ],
    ids=["default", "-B", "PYTHONDONTWRITEBYTECODE"],
)
def test_importing_writes_a_tagged_pyc_unless_told_not_to(
    tmp_path, options, settings, cache_written
):
    (tmp_path / "main.py").write_text("import helper\n")
    (tmp_path / "helper.py").write_text("ANSWER = 42\n")
    environment = common.fresh_environment(**settings)
    command = [sys.executable, *options, "main.py"]
    subprocess.run(command, cwd=tmp_path, env=environment, check=True)

    cache = tmp_path / "__pycache__"
    helper_pyc = cache / f"helper.{sys.implementation.cache_tag}.pyc"  # PEP 3147
    assert helper_pyc.exists() is cache_written
    assert not list(tmp_path.rglob("main.*.pyc"))  # the script you run: never


def test_pycache_prefix_moves_the_cache_out_of_the_source_folder(tmp_path):
    source, prefix = tmp_path / "source", tmp_path / "prefix"
    source.mkdir()
    (source / "helper.py").write_text("ANSWER = 42\n")
    environment = common.fresh_environment(PYTHONPYCACHEPREFIX=str(prefix))
    command = [sys.executable, "-c", "import helper"]
    subprocess.run(command, cwd=source, env=environment, check=True)

    assert not (source / "__pycache__").exists()
    # The prefix mirrors the source's folders: .../<tmp>/source/helper.cpython-311.pyc
    found = list(prefix.rglob(f"helper.{sys.implementation.cache_tag}.pyc"))
    assert len(found) == 1
    assert found[0].parent.parts[-2:] == source.parts[-2:]


def test_the_pycache_benchmark_times_a_library_and_the_apps_own_modules():
    # A small library instead of Flask, on the sizes of a test: one run each.
    text = boot.pycache(runs=1, library="markupsafe").texts["pycache"]
    rows = [line.split(" | ") for line in text.splitlines()[2:4]]
    assert [row[0] for row in rows] == [
        "| `markupsafe` and what it imports",
        "| step 05's `app` (its own modules)",
    ]
    for row in rows:
        assert int(row[1]) > 0  # modules compiled
        assert all(float(cell.split()[0].replace(",", "")) > 0 for cell in row[2:5])
    assert "median of 1 runs" in text.lower()
    assert sys.version.split()[0] in text


def test_the_pycache_page_includes_the_measured_table():
    measured = DOCS / "measurements" / "pycache.md"
    assert measured.read_text(encoding="utf-8").startswith("| import |")
    assert '--8<-- "docs/measurements/pycache.md"' in page_source("concepts/pycache.md")


# --- the API reference: its examples are what the API answers -------------------

EXAMPLES = DOCS / "examples" / "books.http"
EXAMPLE_SECTION = re.compile(
    r"--8<-- \[start:(?P<name>[a-z_]+)\]\n"
    r"(?P<text>.*?)\n"
    r"[^\n]*--8<-- \[end:(?P=name)\]",
    re.DOTALL,
)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DOCUMENTED_ADDRESS = "http://127.0.0.1:5000"  # where `make run` serves the API


@dataclass(frozen=True)
class Example:
    """One request of the API reference and the answer the page shows for it."""

    name: str
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    response_headers: dict[str, str]
    response_body: str


def split_message(text: str) -> tuple[str, dict[str, str], str]:
    """An HTTP message as shown on the page: first line, headers, body."""
    head, _, body = text.strip("\n").partition("\n\n")
    first_line, *header_lines = head.splitlines()
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return first_line, headers, body.strip()


def read_examples(text: str) -> list[Example]:
    """Every named section of the examples file, in the order it holds them."""
    examples = []
    for match in EXAMPLE_SECTION.finditer(text):
        request, response = re.split(r"\n(?=HTTP/1\.1 )", match["text"], maxsplit=1)
        request_line, request_headers, request_body = split_message(request)
        status_line, response_headers, response_body = split_message(response)
        method, path = request_line.split()[:2]
        status = int(status_line.split()[1])
        examples.append(
            Example(
                match["name"],
                method,
                path,
                request_headers,
                request_body,
                status,
                response_headers,
                response_body,
            )
        )
    return examples


def without_timestamps(value):
    """JSON with every ISO 8601 timestamp replaced: they differ on every run."""
    if isinstance(value, dict):
        return {key: without_timestamps(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_timestamps(item) for item in value]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return "<a timestamp>"
    return value


def send(port: int, example: Example) -> tuple[int, dict[str, str], bytes]:
    """Send the example's request to the API; return status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = example.request_body.encode() or None
        connection.request(example.method, example.path, body, example.request_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def newest_database_step():
    """The newest step with a schema.sql: the one whose API the page documents."""
    return [step for step in STEPS if (step.path / "schema.sql").exists()][-1]


@contextlib.contextmanager
def serving_api(settings: dict[str, str], **extra: str) -> Iterator[int]:
    """The newest API step, seeded, served by `flask run`; yields its port."""
    step = newest_database_step()
    environment = {**os.environ, **settings, **extra}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    seed = subprocess.run(
        [*flask, "seed-db"],
        cwd=step.path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert seed.returncode == 0, seed.stderr
    port = free_port()
    serve = [*flask, "run", "--port", str(port)]
    with running(serve, port, cwd=step.path, env=environment):
        yield port


@pytest.fixture
def api_port(mysql_database) -> Iterator[int]:
    """The newest API step on a fresh, seeded database."""
    step = newest_database_step()
    with serving_api(mysql_database(step.path / "schema.sql")) as port:
        yield port


def test_the_api_page_shows_every_example():
    names = [example.name for example in read_examples(EXAMPLES.read_text("utf-8"))]
    page = page_source("api.md")
    assert names
    for name in names:
        assert f'--8<-- "docs/examples/books.http:{name}"' in page


@pytest.mark.mysql
def test_api_reference_examples_are_what_the_api_answers(api_port):
    # In the file's order, on one freshly seeded database: a POST's new id and a
    # DELETE's missing book are what the examples after them expect. The page
    # shows the address `make run` serves; this API listens on another port.
    def as_served(text: str) -> str:
        return text.replace(DOCUMENTED_ADDRESS, f"http://127.0.0.1:{api_port}")

    for example in read_examples(EXAMPLES.read_text(encoding="utf-8")):
        status, headers, body = send(api_port, example)
        where = f"example {example.name!r} ({example.method} {example.path})"
        assert status == example.status, f"{where}: {status} {body[:300]!r}"
        for name, value in example.response_headers.items():
            assert headers.get(name) == as_served(value), f"{where}: header {name}"
        cors_sent = {name for name in headers if name.startswith("Access-Control-")}
        assert cors_sent <= set(example.response_headers), f"{where}: CORS headers"
        if example.response_body:
            shown = without_timestamps(json.loads(as_served(example.response_body)))
            assert without_timestamps(json.loads(body)) == shown, where
        else:
            assert body == b"", where


# --- "Try it live": the page's script, in a real browser, across origins ------


@pytest.mark.browser
@pytest.mark.mysql
def test_live_page_lists_books_fetched_across_origins(
    served_site, mysql_database, tmp_path
):
    step = newest_database_step()
    first_book = json.loads((step.path / "sample_books.json").read_text("utf-8"))[0]
    # The API must allow the origin this test serves the site from (CORS).
    settings = mysql_database(step.path / "schema.sql")
    with serving_api(settings, CORS_ORIGINS=served_site) as port:
        api = f"http://127.0.0.1:{port}"
        text = rendered_text(f"{served_site}/live/?api={api}", tmp_path / "profile")

    assert "Fetched across origins: page 1 of" in text
    assert f"{first_book['title']} by {first_book['author']}" in text
    # The next page's URL is shown only when the script could read the Link
    # header, which CORS hides unless the API exposes it.
    assert f"{api}/books?page=2&per_page=5" in text


@pytest.mark.browser
def test_live_page_says_how_to_start_the_api_when_it_is_not_running(browsed):
    page = browsed.page(f"/live/?api={browsed.nobody}")
    text = visible_text(page["html"])
    assert f"The API at {browsed.nobody} did not answer this page" in text
    assert "make run" in text
