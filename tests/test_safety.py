"""Safety: secrets never reach logs, tables, reports or Prefect's server; document text is always
escaped; nothing is written outside the output root; Prefect's server listens on 127.0.0.1 only.

The real ``broadsheet run`` (``flows.cli.main`` in one subprocess, three runs) runs against one
temporary Prefect server started here; everything the server stored of those runs (flow runs
and their parameters, task runs, logs, artifacts) and its SQLite database files are searched for
the secret afterwards, as are the outputs and everything the runs printed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import glob
import inspect
import json
import mmap
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from flows import publish, serve
from flows.pipeline import broadsheet_run
from flows.redact import has_secret, redact

from .conftest import REPO, SEEDS

# New every session: a leak that an older run left in a shared Prefect database cannot match.
SECRET = f"hunter2-{secrets.token_hex(6)}"
TOKEN = f"tok-{secrets.token_hex(6)}"
DB_URL = f"postgresql+asyncpg://prefect:{SECRET}-db@db.internal:5432/prefect"
RUN_TIMEOUT_S = 300
SERVER_START_TIMEOUT_S = 90
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")

SCRIPT = "<script>alert('pwned')</script>"
IMG = "<img src=x onerror=alert(1)>"
# Input names that must never become paths, nor unescaped markup (a newline where the filesystem
# allows one; every name here is a valid Linux file name).
HOSTILE_NAMES = (
    f"{IMG}.txt",
    '"><svg onload=alert(2)>.txt',
    "-rf --output=..txt",
    "..evil.txt",
    "line\nbreak.txt",
    "\\\\server\\share\\C:\\Windows\\win.txt",
    '~root & Tom\'s "news".txt',
)


# --- the redaction helper ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pass@host/a.txt", "https://***@host/a.txt"),
        ("http://token@host:8080/a.txt", "http://***@host:8080/a.txt"),
        (DB_URL, "postgresql+asyncpg://***@db.internal:5432/prefect"),
        ("s3://KEY:SECRET@bucket/out", "s3://***@bucket/out"),
        (
            f"https://host/a.txt?id=7&token={TOKEN}&X-Amz-Signature=abc",
            "https://host/a.txt?id=7&token=***&X-Amz-Signature=***",
        ),
        (
            "cannot fetch URL https://u:p@h/x: HTTP Error 401 (see http://a:b@c/d)",
            "cannot fetch URL https://***@h/x: HTTP Error 401 (see http://***@c/d)",
        ),
        ("seeds/a@b.txt", "seeds/a@b.txt"),
        ("file is 30 bytes, over max_bytes=20", "file is 30 bytes, over max_bytes=20"),
        ("https://host/a.txt", "https://host/a.txt"),
    ],
)
def test_redact_masks_credentials_and_keeps_the_rest(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert has_secret(text) == (text != expected)
    assert redact(expected) == expected


def test_serve_refuses_locations_with_credentials(tmp_path: Path) -> None:
    url = f"https://reader:{SECRET}@example.org/a.txt"
    with pytest.raises(serve.ServeError) as refused:
        serve.deployment_parameters(url, str(tmp_path / "out"), None)
    assert SECRET not in str(refused.value) and "https://***@example.org/a.txt" in str(
        refused.value
    )
    assert serve._redacted(DB_URL) == "postgresql+asyncpg://db.internal:5432"


def test_a_run_id_is_never_taken_from_the_caller() -> None:
    assert set(inspect.signature(broadsheet_run.fn).parameters) == {
        "input",
        "output",
        "config",
        "overrides",
    }


# --- the runs: one subprocess, one temporary Prefect server -------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no request lines in test output
        pass


@contextlib.contextmanager
def _web(site: Path) -> Iterator[int]:
    """An http server on 127.0.0.1 serving ``site``; yields its port."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def _article(seed: Path, marker: str) -> str:
    """A seed article with markup in its first line and in a paragraph, raw and as HTML entities
    (normalization strips known tags but decodes entities, so those reach the text as markup)."""
    paragraphs = seed.read_text(encoding="utf-8").split("\n\n")
    payload = (
        f"The minister said &lt;img src=x onerror=alert(2)&gt; and {SCRIPT} were "
        f'"not a concern" &amp; promised a {marker} review by the Harbour Trust of '
        "Acme &lt;b&gt;Holdings&lt;/b&gt; before the vote."
    )
    title = f"{SCRIPT} {marker.title()} &lt;img src=x onerror=alert(1)&gt;"
    return "\n\n".join([title, *paragraphs[:3], payload, *paragraphs[3:]])


def _hostile_inputs(inputs: Path) -> None:
    inputs.mkdir(parents=True)
    seeds = sorted(SEEDS.glob("*.txt"))
    for number, name in enumerate(HOSTILE_NAMES):
        (inputs / name).write_text(
            _article(seeds[number % len(seeds)], f"case{number}"), encoding="utf-8"
        )
    # The same bytes as the first: its quarantine reason names the first ("duplicate of <img...").
    (inputs / "copy.txt").write_bytes((inputs / HOSTILE_NAMES[0]).read_bytes())
    (inputs / "stub.txt").write_text(f"{SCRIPT} too short {IMG}\n", encoding="utf-8")


# Runs ``broadsheet run`` (flows.cli.main) once per argument list, in one process so that Prefect,
# GX and the charts are imported once; prints the exit codes last.
_DRIVER = (
    "import json, sys\n"
    "from flows.cli import main\n"
    "codes = [main(json.loads(args)) for args in sys.argv[1:]]\n"
    "print('exit codes:', json.dumps(codes))\n"
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three runs against one temporary Prefect server: a credentialed URL that answers, one on a
    closed port (with a token in its query), and a folder of hostile names and markup."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    root = tmp_path_factory.mktemp("safety")
    site = root / "site"
    site.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], site / "a.txt")
    _hostile_inputs(root / "hostile" / "in")
    (root / "hostile" / "real-out").mkdir()
    (root / "hostile" / "out").symlink_to(root / "hostile" / "real-out")  # a symlink is fine

    server = SubprocessASGIServer(port=_free_port())  # not a running instance of another test
    server.start(timeout=SERVER_START_TIMEOUT_S)
    try:
        with _web(site) as port:
            urls = {
                "served": f"http://reader:{SECRET}@127.0.0.1:{port}/a.txt",
                "closed": f"http://reader:{SECRET}@127.0.0.1:{_free_port()}/b.txt?token={TOKEN}",
            }
            outputs = {name: root / name for name in urls}
            calls = [
                ["run", "--input", url, "--output", str(outputs[n])] for n, url in urls.items()
            ]
            calls.append(["run", "--input", str(root / "hostile" / "in"), "--output"])
            calls[-1].append(str(root / "hostile" / "out"))
            env = {
                **os.environ,
                "PREFECT_API_URL": server.api_url,
                # Set, as on a team's machine; our code must never print it.
                "PREFECT_API_DATABASE_CONNECTION_URL": DB_URL,
            }
            env.pop(publish.CRASH_ENV, None)
            since = dt.datetime.now(dt.UTC).isoformat()
            proc = subprocess.run(
                [sys.executable, "-c", _DRIVER, *(json.dumps(c) for c in calls)],
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
                env=env,
                check=False,
            )
        logs = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "exit codes:" in proc.stdout, logs[-3000:]
        codes = json.loads(proc.stdout.rsplit("exit codes:", 1)[1])
        database = get_current_settings().server.database.connection_url
        assert database is not None
        yield {
            "root": root,
            "urls": urls,
            "port": port,
            "outputs": outputs,
            "codes": codes,
            "logs": logs,
            "server": _server_records(server.api_url, since, {c[-1] for c in calls}),
            "server_port": server.port,
            "database": database.get_secret_value().split(":///", 1)[-1],
        }
    finally:
        server.stop()


def _post(api_url: str, path: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{api_url}/{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def _server_records(api_url: str, since: str, outputs: set[str]) -> dict[str, str]:
    """Everything the server holds of our runs that a person could read, as the API's JSON: the
    flow runs (with their parameters), their task runs, logs and artifacts. (The database may be
    shared with other runs: ours are told by their output parameter.)"""
    started = {"flow_runs": {"start_time": {"after_": since}}, "limit": 200}
    ours = [
        r
        for r in _post(api_url, "flow_runs/filter", started)
        if (r.get("parameters") or {}).get("output") in outputs
    ]
    ids = {"any_": [r["id"] for r in ours]}
    return {
        "flow_runs": json.dumps(ours),
        "task_runs": json.dumps(
            _post(api_url, "task_runs/filter", {"flow_runs": {"id": ids}, "limit": 200})
        ),
        "logs": json.dumps(
            _post(api_url, "logs/filter", {"logs": {"flow_run_id": ids}, "limit": 200})
        ),
        "artifacts": json.dumps(
            _post(api_url, "artifacts/filter", {"artifacts": {"flow_run_id": ids}, "limit": 200})
        ),
    }


def _files_holding(paths: list[Path], needles: tuple[str, ...]) -> list[str]:
    """``path: needle`` for every file under ``paths`` (files or folders) holding a needle."""
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*"))]
    found = []
    for path in files:
        if path.is_symlink() or not path.is_file() or path.stat().st_size == 0:
            continue
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data,
        ):
            found += [f"{path}: {n}" for n in needles if data.find(n.encode()) >= 0]
    return found


# --- secrets -----------------------------------------------------------------------------------


def test_no_secret_reaches_logs_tables_reports_or_the_server(runs: dict[str, Any]) -> None:
    needles = (SECRET, TOKEN)
    closed = runs["urls"]["closed"]
    shown = {
        "served": f"http://***@127.0.0.1:{runs['port']}/a.txt",
        "closed": closed.replace(f"reader:{SECRET}", "***").replace(TOKEN, "***"),
    }
    # Logs: everything both runs printed (Prefect's console log included).
    logs = runs["logs"]
    assert not [n for n in needles if n in logs], logs[-3000:]
    assert "Traceback" not in logs, logs[-3000:]
    for name, out in runs["outputs"].items():
        assert runs["codes"][list(runs["outputs"]).index(name)] in (0, 1)  # 1: empty run, failed
        assert not _files_holding([out], needles)  # parquet, html, json, cache, Data Docs
        # The run names its input, redacted, wherever it records it.
        snapshot = publish.snapshot_dir(out, publish.snapshot_runs(out)[-1])
        summary = json.loads((snapshot / "summary.json").read_text(encoding="utf-8"))
        assert summary["input"] == shown[name]
        names = set(pq.read_table(snapshot / "documents").column("source_name").to_pylist())
        names |= set(pq.read_table(snapshot / "quarantine").column("source_name").to_pylist())
        assert names == {shown[name]}
        if name == "served":  # fetched with its credentials as a Basic Authorization header
            published = pq.read_table(snapshot / "documents").column("source_name").to_pylist()
            assert published == [shown[name]]
        assert shown[name] in (snapshot / "report.html").read_text(encoding="utf-8")
    # Prefect's server: flow runs and their parameters, logs, artifacts; and its database files.
    records = "\n".join(runs["server"].values())
    assert "**********" in records  # the credentialed inputs went as SecretStr parameters
    assert not [n for n in needles if n in records]
    database = [Path(p) for p in glob.glob(f"{runs['database']}*")]
    assert database  # SQLite: the database and its write-ahead log
    assert not _files_holding(database, needles)


# --- hostile names and markup: escaped everywhere, never a path ---------------------------------


def test_hostile_names_and_markup_are_escaped_and_never_become_paths(runs: dict[str, Any]) -> None:
    assert runs["codes"][2] == 0, runs["logs"][-3000:]
    here = runs["root"] / "hostile"
    output = here / "out"

    # Nothing outside the output root (the cache is under it), no input name as a path.
    root = output.resolve()
    for folder, dirs, files in os.walk(output):
        for name in dirs + files:
            path = Path(folder) / name
            assert path.resolve().is_relative_to(root), path
            assert ".txt" not in name and "\n" not in name, path
    assert all(RUN_ID.match(run) for run in publish.snapshot_runs(output))
    assert sorted(p.name for p in here.iterdir()) == ["in", "out", "real-out"]  # nothing beside

    documents = pq.read_table(output / "documents").to_pylist()
    quarantine = pq.read_table(output / "quarantine").to_pylist()
    names = {d["source_name"] for d in documents} | {q["source_name"] for q in quarantine}
    assert names == {*HOSTILE_NAMES, "copy.txt", "stub.txt"}
    assert any(IMG in (q["reason"] or "") for q in quarantine)  # "duplicate content of <img..."
    segments = pq.read_table(output / "segments").column("text").to_pylist()
    assert any("<img src=x onerror=alert(2)>" in text for text in segments)

    # The payloads as markup; the report's own <svg> charts and <b> captions are not payloads.
    raw_markup = ("<script", "<img", "<svg onload", "<b>Holdings")
    report = (output / "report.html").read_text(encoding="utf-8")
    assert not [m for m in raw_markup if m in report]
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in report  # the payloads did reach it
    assert "&quot;&gt;&lt;svg onload=alert(2)&gt;.txt" in report
    assert "~root &amp; Tom&#x27;s &quot;news&quot;.txt" in report
    # The markdown artifacts on the server, as the Prefect UI renders them.
    artifacts = [
        a
        for a in json.loads(runs["server"]["artifacts"])
        if a.get("key") == "broadsheet-run-summary"
    ]
    assert len(artifacts) == 3
    for artifact in artifacts:
        assert not [m for m in raw_markup if m in (artifact.get("data") or "")]


# --- Prefect's server listens on 127.0.0.1 only ------------------------------------------------


def _listening_addresses(port: int) -> list[str]:
    """Local addresses of the LISTEN sockets on ``port`` (Linux /proc/net/tcp{,6})."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.rsplit(":", 1)
                if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                    found.append(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_prefect_server_listens_on_loopback_only(runs: dict[str, Any]) -> None:
    # The same SubprocessASGIServer a run starts when no PREFECT_API_URL is set (the server is
    # still up: the fixture's runs are over, the module is not).
    assert _listening_addresses(runs["server_port"]) == ["0100007F"]  # 127.0.0.1, little-endian
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "prefect server start --host 127.0.0.1" in readme and "0.0.0.0" not in readme
    assert "--host 127.0.0.1" in serve.NO_SERVER_HINT
