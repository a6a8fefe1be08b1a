"""The key rotation of docs/deployment.md (section 8) runs as written and loses nothing.

The test takes its commands from the section: the key-generation command, the two edits of
``SIGURNET_DATA_KEYS`` in the environment file (``NEW,OLD``, then ``NEW``) and ``sigurnet
reencrypt``, run through the documented helper of section 3 (from test_deployment_doc, with the
paths moved into a temporary folder). The helper and the pages share one PostgreSQL database
(the test database) and one evidence folder. Between the steps, reporters who were in the
middle of something before the rotation - a report just filed, with its done page open, and a
half-filled report with a file attached - use the site and must find everything, never a 500.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from sigurnet.hotline import evidence as evidence_files
from sigurnet.hotline.models import Evidence, Report
from tests.conftest import requires_postgresql
from tests.core.test_deployment_doc import (
    DOC,
    REPO,
    install_helper,
    needs_root,
    open_folder,
    production_env_file,
    run_folder_steps,
    write,
)

SECTION = DOC.split("\n## 8. Key rotation\n", 1)[1].split("\n## ", 1)[0]

FILED_DESCRIPTION = "Filed before the rotation."
FILED_EVIDENCE = b"A file sealed under the old key."
DRAFT_URL = "https://example.org/rotation-draft"
DRAFT_DESCRIPTION = "Typed before the rotation, sent after it."
DRAFT_EVIDENCE = b"A file attached to a draft under the old key."

base = pytest.fixture(open_folder)


def section_commands() -> list[str]:
    """The shell blocks of section 8 (indented inside its numbered list)."""
    blocks = re.findall(r"^( *)```sh\n(.*?)^\1```$", SECTION, flags=re.M | re.S)
    return [textwrap.dedent(block) for _indent, block in blocks]


def inline(pattern: str) -> str:
    """The one inline command of section 8 that matches ``pattern``."""
    found = re.findall(rf"`({pattern})`", SECTION)
    assert len(found) == 1, f"deployment.md section 8: expected one `{pattern}`, found {found}"
    return str(found[0])


def operator_environment() -> dict[str, str]:
    """A root shell's environment: the helper must need nothing else."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
    }


def database_url() -> str:
    """The test database, for the helper's processes."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def with_value(env: str, name: str, value: str) -> str:
    """``env`` (an environment file's text) with ``name`` set to ``value``."""
    text, count = re.subn(rf"^{name}=.*$", f"{name}={value}", env, flags=re.M)
    assert count == 1, f"the environment file sets no {name}="
    return text


def set_data_keys(env_file: Path, line: str) -> None:
    """Edit the environment file as the section says: its SIGURNET_DATA_KEYS line becomes
    ``line`` (the section's ``SIGURNET_DATA_KEYS=...`` with the real keys)."""
    name, value = line.split("=", 1)
    assert name == "SIGURNET_DATA_KEYS", line
    env_file.write_text(with_value(env_file.read_text(), name, value))


def run_helper(helper: Path, command: str) -> str:
    """A command as the section writes it (``sigurnet ...``), through the installed helper."""
    words = shlex.split(command)
    assert words[0] == "sigurnet", command
    result = subprocess.run(
        [str(helper), *words[1:]],
        env=operator_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def restart(helper: Path, settings: Any) -> list[str]:
    """Step 3's "restart every process that reads the environment".

    There is no systemd here. A process is started afresh through the helper, so it reads the
    environment file as a restarted service would, and reports the settings it read; this test
    process, which serves the pages through Django's test client, then takes them over as its
    own, like a restarted gunicorn. Returns the data keys now in use.
    """
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'SECRET_KEY': s.SECRET_KEY, 'SIGURNET_DATA_KEYS': s.SIGURNET_DATA_KEYS, "
        "'SIGURNET_INDEX_KEY': s.SIGURNET_INDEX_KEY, "
        "'SIGURNET_EVIDENCE_ROOT': str(s.SIGURNET_EVIDENCE_ROOT)}))"
    )
    loaded = json.loads(run_helper(helper, f"sigurnet shell -v 0 -c {shlex.quote(code)}"))
    for name, value in loaded.items():
        setattr(settings, name, Path(value) if name == "SIGURNET_EVIDENCE_ROOT" else value)
    return list(loaded["SIGURNET_DATA_KEYS"])


def page(client: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    """GET, or POST with ``data``; no answer may be a server error."""
    response = client.get(path) if data is None else client.post(path, data)
    assert response.status_code < 500, (path, response.status_code)
    return response


def upload(content: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


@pytest.fixture
def installed(base: Path, settings: Any, transactional_db: None) -> Path:
    """Section 1's folders and section 3's helper and environment file, on the test database."""
    needs_root()
    run_folder_steps(base)
    env = production_env_file(base)
    env = with_value(env, "DATABASE_URL", database_url())
    # `migrate` encrypted the institutions registry's contacts under the test settings' first
    # key: that is this installation's data key (a single one, as after section 3).
    env = with_value(env, "SIGURNET_DATA_KEYS", settings.SIGURNET_DATA_KEYS[0])
    write(base / "etc" / "sigurnet.env", env, 0o640)
    helper = install_helper(base)
    settings.SIGURNET_FORM_MIN_SECONDS = 0  # the reporters here are quick
    restart(helper, settings)  # the site starts with the environment file's settings
    return helper


def reporters_find_everything(done: Client, reference: str, draft: Client) -> None:
    """What the reporters of before the rotation see now: nothing lost, nothing broken."""
    # The report that was filed, and its evidence file, still decrypt.
    report = Report.objects.get(reference=reference)
    assert report.description == FILED_DESCRIPTION
    (row,) = Evidence.objects.filter(report=report)
    assert evidence_files.read_decrypted(row.storage_name) == FILED_EVIDENCE
    # The done page still shows the reference (not the "could not be shown" page).
    response = page(done, "/en/report/done/")
    assert response.status_code == 200
    assert reference in response.content.decode()
    # The half-filled report still holds its answers (not sent back to step 1). Only pages
    # that save nothing are read here, so that the draft is re-sealed by reencrypt or not at all.
    response = page(draft, "/en/report/details/")
    assert response.status_code == 200
    assert DRAFT_DESCRIPTION in response.content.decode()
    (row,) = Evidence.objects.filter(report=None)
    assert evidence_files.read_decrypted(row.storage_name) == DRAFT_EVIDENCE


@requires_postgresql
@pytest.mark.django_db(transaction=True)  # the helper's processes must see what the pages wrote
def test_the_documented_key_rotation_keeps_reports_drafts_and_done_pages(installed, settings):
    helper = installed
    env_file = helper.parent.parent / "etc" / "sigurnet.env"
    (old,) = settings.SIGURNET_DATA_KEYS

    # Before the rotation: one report filed (its done page open), one half filled in.
    done = Client()
    page(done, "/en/report/", {"category": "other"})
    page(done, "/en/report/where/", {"urls": "https://example.org/rotation-filed"})
    page(
        done,
        "/en/report/details/",
        {"description": FILED_DESCRIPTION, "evidence": upload(FILED_EVIDENCE, "filed.txt")},
    )
    page(done, "/en/report/you/", {})
    assert page(done, "/en/report/check/", {}).status_code == 302
    reference = Report.objects.get().reference
    draft = Client()
    page(draft, "/en/report/", {"category": "hate_speech"})
    page(draft, "/en/report/where/", {"urls": DRAFT_URL})
    page(
        draft,
        "/en/report/details/",
        {"description": DRAFT_DESCRIPTION, "evidence": upload(DRAFT_EVIDENCE, "draft.txt")},
    )
    reporters_find_everything(done, reference, draft)

    # Step 1: generate a new key with the documented command ...
    (generate,) = section_commands()
    generate = generate.replace("/opt/sigurnet/venv/bin/python", sys.executable)
    result = subprocess.run(
        ["/bin/sh", "-euc", generate],
        env={**operator_environment(), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    new = result.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}=", new), result.stdout
    # ... and put it first, keeping the old one.
    both = inline("SIGURNET_DATA_KEYS=NEW,OLD")
    set_data_keys(env_file, both.replace("NEW", new).replace("OLD", old))
    # Step 2 (copy the new key offline) is done by hand; nothing to run.
    # Step 3: `systemctl restart ...` cannot run here (no systemd); restart() stands in for it.
    inline(r"systemctl restart [^`]*")
    assert restart(helper, settings) == [new, old]
    reporters_find_everything(done, reference, draft)  # old values still decrypt

    # Step 4: reencrypt, as written; a second run rewrites nothing.
    reencrypt = inline(r"sigurnet reencrypt")
    output = run_helper(helper, reencrypt)
    assert "hotline_report.description: 1 re-encrypted" in output, output
    assert "evidence files: 2 re-encrypted, 0 already current" in output, output
    assert "sessions: 2 re-encrypted, 0 already current" in output, output
    assert "Done. Older keys can now be removed." in output
    again = run_helper(helper, reencrypt)
    counts = re.findall(r"(\d+) re-encrypted", again)
    assert counts and set(counts) == {"0"}, again
    reporters_find_everything(done, reference, draft)

    # Step 5: remove the old key and restart again (as in step 3).
    only_new = inline("SIGURNET_DATA_KEYS=NEW")
    set_data_keys(env_file, only_new.replace("NEW", new))
    assert restart(helper, settings) == [new]
    reporters_find_everything(done, reference, draft)

    # The half-filled report goes on from where it was and is filed with what was typed.
    assert page(draft, "/en/report/you/", {}).status_code == 302
    check = page(draft, "/en/report/check/")
    assert check.status_code == 200
    assert DRAFT_URL.removeprefix("https://") in check.content.decode()
    assert DRAFT_DESCRIPTION in check.content.decode()
    assert "draft.txt" in check.content.decode()
    assert page(draft, "/en/report/check/", {}).status_code == 302
    sent = Report.objects.exclude(reference=reference).get()
    assert sent.description == DRAFT_DESCRIPTION
    (row,) = sent.evidence.all()
    assert evidence_files.read_decrypted(row.storage_name) == DRAFT_EVIDENCE
    response = page(draft, "/en/report/done/")
    assert response.status_code == 200 and sent.reference in response.content.decode()
