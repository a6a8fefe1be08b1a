"""The production web server of docs/deployment.md (gunicorn, WSGI) takes reports.

The test reads gunicorn's command line from deployment.md, so the documented command is the one
that is run, starts it with production settings (DEBUG off, keys set) on an SQLite file, and
drives it with bench/intake.py: reports through the web form and through the API, every one
acknowledged and stored.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until_listening

REPO = Path(__file__).resolve().parents[2]
DATA_KEY = "dGVzdC1kYXRhLWtleS1udW1iZXItb25lLTMyYnl0ZXM="
INDEX_KEY = "dGVzdC1ibGluZC1pbmRleC1rZXktMzItYnl0ZXMtb2s="


def documented_gunicorn_arguments() -> list[str]:
    """The arguments of the gunicorn ExecStart in deployment.md, without --bind."""
    text = (REPO / "docs" / "deployment.md").read_text()
    match = re.search(r"ExecStart=\S*/gunicorn ((?:[^\n]*\\\n)*[^\n]*)", text)
    assert match, "deployment.md has no gunicorn ExecStart line"
    words = shlex.split(match.group(1).replace("\\\n", " "))
    arguments = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--bind":
            skip = True
        else:
            arguments.append(word)
    return arguments


@pytest.fixture(scope="module")
def wsgi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    var = tmp_path_factory.mktemp("var")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGURNET_", "DJANGO_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        SECRET_KEY="wsgi-server-test-" + "k" * 40,
        SIGURNET_DATA_KEYS=DATA_KEY,
        SIGURNET_INDEX_KEY=INDEX_KEY,
        SIGURNET_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'sigurnet.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SIGURNET_FORM_MIN_SECONDS="0",  # the benchmark is a bot; see docs/performance.md
        SIGURNET_TRUSTED_PROXIES="1",
    )
    for command in (["migrate", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "-m", "sigurnet", *command], cwd=REPO, env=env, check=True)
    arguments = documented_gunicorn_arguments()
    assert arguments[0] == "sigurnet.wsgi:application"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *arguments, "--bind", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until_listening(server, port, "gunicorn")
    yield f"http://127.0.0.1:{port}", var / "sigurnet.sqlite3"
    server.terminate()
    server.wait(timeout=15)


def test_the_documented_gunicorn_takes_web_and_api_reports(wsgi_server, tmp_path):
    base_url, database = wsgi_server
    figures = tmp_path / "figures.json"
    bench = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "intake.py"),
            "--base-url",
            base_url,
            "--clients",
            "2",  # few: SQLite takes one writer at a time; speed is bench/'s business
            "--reports",
            "4",
            "--mix",
            "both",
            "--warmup",
            "0",
            "--forwarded-for",
            "--json",
            str(figures),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
    )
    assert bench.returncode == 0, bench.stdout[-3000:] + bench.stderr[-3000:]
    rows = {(row["phase"], row["kind"]): row for row in json.loads(figures.read_text())["rows"]}
    assert rows[("api", "api")]["reports"] == 4
    assert rows[("web", "web")]["reports"] == 4
    assert all(row["errors"] == 0 for row in rows.values())

    acknowledged = sum(row["reports"] for key, row in rows.items() if key[1] in {"api", "web"})
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT count(*) FROM hotline_report").fetchone()[0]
    assert stored == acknowledged
