"""docs/deployment.md runs as written.

The blocks an operator copies - the command helper, the cron line of the e-mail intake, the
folders, the nginx configuration, the backup, restore check and restore - are taken from the
document and run here with their paths moved into a temporary folder. The tests need root
(``runuser``, file owners), and nginx, age and PostgreSQL where they use them; CI has all of them.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from sigurnet.config import new_data_key
from tests.conftest import free_port, requires_postgresql, skip_unless_ci, wait_until_listening

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "deployment.md").read_text()
# A password with every character a shell would treat specially.
AWKWARD_PASSWORD = "p$ss&w0rd#x;y!z %41`(x)|*?~"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", DOC, flags=re.M | re.S)


def block_with(language: str, text: str) -> str:
    found = [block for block in code_blocks(language) if text in block]
    assert len(found) == 1, f"deployment.md: expected one {language} block with {text!r}"
    return found[0]


def needs_root() -> None:
    if os.geteuid() != 0:
        skip_unless_ci("runs the documented commands as root (runuser, file owners)")


def needs(program: str) -> str:
    path = shutil.which(program)
    if not path:
        skip_unless_ci(f"{program} is not installed (apt-get install {program})")
    return str(path)


def open_folder() -> Iterator[Path]:
    """A folder every user may enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="sigurnet-doc-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


base = pytest.fixture(open_folder)
installation = pytest.fixture(open_folder, scope="module", name="installation")


def write(path: Path, text: str, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


# --- Section 1: folders --------------------------------------------------------------------


def run_folder_steps(base: Path) -> Path:
    """Run the documented `install -d` lines for /var/lib/sigurnet, owned by root here."""
    steps = block_with("sh", "adduser --system")
    lines = re.findall(r"^install -d[^\n]*/var/lib/sigurnet(?:[^\n]*\\\n)*[^\n]*$", steps, re.M)
    assert lines, "section 1 creates no folders under /var/lib/sigurnet"
    var = base / "var"
    script = "\n".join(lines).replace("/var/lib/sigurnet", str(var))
    script = script.replace("-o sigurnet -g sigurnet", "-o root -g root")
    subprocess.run(["/bin/sh", "-euc", script], check=True)
    return var


def test_the_documented_folders_keep_evidence_and_maildir_private_and_media_readable(base):
    needs_root()
    var = run_folder_steps(base)
    assert var.stat().st_mode & 0o777 == 0o751
    assert (var / "media").stat().st_mode & 0o777 == 0o755
    assert (var / "evidence").stat().st_mode & 0o777 == 0o700
    for sub in ("cur", "new", "tmp"):
        assert (var / "Maildir" / sub).is_dir()
    assert (var / "Maildir").stat().st_mode & 0o777 == 0o700


# --- Section 3 and 5: the helper, the environment files, the intake from cron ---------------


def install_helper(base: Path) -> Path:
    helper = block_with("sh", "Run a Sigurnet command as the sigurnet user")
    helper = (
        helper.replace("/etc/sigurnet", str(base / "etc"))
        .replace("/var/lib/sigurnet", str(base / "var"))
        .replace("/opt/sigurnet/venv/bin/python", sys.executable)
        .replace("runuser -u sigurnet", "runuser -u root")
    )
    return write(base / "bin" / "sigurnet", helper, 0o755)


def production_env_file(base: Path) -> str:
    database = f"sqlite:///{base / 'var' / 'sigurnet.sqlite3'}"
    lines = [
        "# written as section 3 says",
        f"SECRET_KEY=doc-test-{new_data_key()}",
        f"SIGURNET_DATA_KEYS={new_data_key()}",
        f"SIGURNET_INDEX_KEY={new_data_key()}",
        "ALLOWED_HOSTS=sigurnet.example.org",
        f"DATABASE_URL={database}",
        f"SIGURNET_VAR_DIR={base / 'var'}",
        "SIGURNET_PUBLIC_BASE_URL=https://sigurnet.example.org",
        f"EMAIL_HOST_PASSWORD={AWKWARD_PASSWORD}",
        f"PYTHONPATH={REPO}",  # this checkout's sigurnet, not the one installed in the venv
    ]
    return "\n".join(lines) + "\n"


def cron_environment() -> dict[str, str]:
    """What cron gives a job by default (Debian): no /usr/sbin in PATH."""
    return {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": "/root", "LANG": "C.UTF-8"}


def make_maildir(base: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (base / "var" / "Maildir" / sub).mkdir(parents=True)


@pytest.fixture(scope="module")
def installed(installation: Path) -> Path:
    """The helper and the environment files of section 3, and a migrated database."""
    needs_root()
    base = installation
    make_maildir(base)
    write(base / "etc" / "sigurnet.env", production_env_file(base), 0o640)
    database = f"sqlite:///{base / 'var' / 'sigurnet.sqlite3'}"
    write(base / "etc" / "owner.env", f"DATABASE_URL={database}\n", 0o600)
    write(
        base / "etc" / "intake.env", f"SIGURNET_INTAKE_MAILDIR={base / 'var' / 'Maildir'}\n", 0o600
    )
    helper = install_helper(base)
    subprocess.run(
        [str(helper), "migrate", "-v", "0"], env=cron_environment(), check=True, timeout=300
    )
    return helper


def test_the_helper_gives_commands_the_environment_files_values_literally(installed):
    code = "import os; print(os.environ['EMAIL_HOST_PASSWORD']); print(os.getuid())"
    result = subprocess.run(
        [str(installed), "shell", "-v", "0", "-c", code],
        env=cron_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == AWKWARD_PASSWORD


def test_only_the_intake_gets_the_mailbox_settings(installed):
    code = "import os; print(os.environ.get('SIGURNET_INTAKE_MAILDIR', 'absent'))"
    result = subprocess.run(
        [str(installed), "shell", "-v", "0", "-c", code],
        env=cron_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "absent", result.stderr


@pytest.mark.parametrize(
    "line", ['EMAIL_HOST_PASSWORD="quoted"', "EMAIL_HOST_PASSWORD=a\\b", "A = 1"]
)
def test_the_helper_refuses_a_line_that_systemd_would_read_differently(
    installed, installation, line
):
    env_file = installation / "etc" / "sigurnet.env"
    good = env_file.read_text()
    env_file.write_text(good + line + "\n")
    bad_line = len(env_file.read_text().splitlines())
    try:
        result = subprocess.run(
            [str(installed), "check"], env=cron_environment(), capture_output=True, text=True
        )
    finally:
        env_file.write_text(good)
    assert result.returncode == 78
    assert f"sigurnet.env, line {bad_line}:" in result.stderr
    assert "quoted" not in result.stderr  # the value itself is never printed


def cron_command(base: Path) -> str:
    crontab = block_with("cron", "ingest_email")
    (line,) = [line for line in crontab.splitlines() if re.match(r"^\* \* \* \* \* root ", line)]
    command = line.split(" root ", 1)[1]
    return (
        command.replace("/usr/local/bin/sigurnet", str(base / "bin" / "sigurnet"))
        .replace("/var/log/sigurnet", str(base / "log"))
        .replace("/run/lock", str(base))
    )


def test_the_intake_runs_from_cron_and_a_failed_run_is_in_its_log(installed, installation):
    base = installation
    (base / "log").mkdir()
    log = base / "log" / "ingest-email.log"
    command = cron_command(base)
    # cron runs the line with /bin/sh and its own small PATH
    subprocess.run(["/bin/sh", "-c", command], env=cron_environment(), check=True, timeout=120)
    assert "Reports filed: 0" in log.read_text(), log.read_text()
    assert "failed" not in log.read_text()

    shutil.rmtree(base / "var" / "Maildir")
    try:
        subprocess.run(["/bin/sh", "-c", command], env=cron_environment(), check=True, timeout=120)
    finally:
        make_maildir(base)
    assert re.search(r"ingest_email failed with exit code [1-9]", log.read_text()), log.read_text()


# --- Section 6: nginx --------------------------------------------------------------------


def nginx_config(base: Path, http_port: int, https_port: int) -> Path:
    sites = "\n".join(code_blocks("nginx"))
    sites = (
        sites.replace("listen [::]:80;", "")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("/etc/letsencrypt/live/sigurnet.example.org", str(base / "cert"))
        .replace("/var/www/letsencrypt", str(base / "www"))
        .replace("/var/lib/sigurnet", str(base / "var"))
    )
    temp = base / "nginx-temp"
    temp.mkdir()
    temp_paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = f"""
user nobody nogroup;
worker_processes 1;
pid {base / "nginx.pid"};
error_log {base / "nginx-error.log"};
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
{temp_paths}
{sites}
}}
"""
    return write(base / "nginx.conf", conf, 0o644)


def get(port: int, path: str, tls: bool = False) -> http.client.HTTPResponse:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, timeout=10
        )
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": "sigurnet.example.org"})
    return conn.getresponse()


def test_nginx_accepts_the_documented_configuration_and_serves_acme_and_the_logo(base):
    needs_root()
    nginx = needs("nginx")
    openssl = needs("openssl")
    var = run_folder_steps(base)  # the documented modes, so nginx's "nobody" meets them
    logo = write(var / "media" / "profile" / "logo.png", "logo", 0o644)
    logo.parent.chmod(0o755)
    write(var / "evidence" / "secret", "sealed", 0o600)
    challenge = write(base / "www" / ".well-known" / "acme-challenge" / "t0ken", "t0ken.key", 0o644)
    for folder in (challenge.parent, challenge.parent.parent, base / "www"):
        folder.chmod(0o755)
    (base / "cert").mkdir()
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=sigurnet.example.org"),
            *("-keyout", str(base / "cert" / "privkey.pem")),
            *("-out", str(base / "cert" / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    http_port, https_port = free_port(), free_port()
    while https_port == http_port:
        https_port = free_port()
    conf = nginx_config(base, http_port, https_port)

    tested = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr

    server = subprocess.Popen(
        [nginx, "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(server, http_port, "nginx")
        answer = get(http_port, "/.well-known/acme-challenge/t0ken")
        assert answer.status == 200 and answer.read() == b"t0ken.key"
        answer = get(http_port, "/en/report/?a=1")
        assert answer.status == 301
        assert answer.getheader("Location") == "https://sigurnet.example.org/en/report/?a=1"
        answer = get(https_port, "/media/profile/logo.png", tls=True)
        assert answer.status == 200 and answer.read() == b"logo"
        assert get(https_port, "/media/evidence/secret", tls=True).status == 404
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- Section 7: backup, restore check, restore -----------------------------------------------


def psql(database: str, sql: str) -> str:
    result = subprocess.run(
        ["/usr/sbin/runuser", "-u", "postgres", "--", "psql", "-At", "-d", database, "-c", sql],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    return result.stdout.strip()


def script(base: Path, text: str, assignments: dict[str, str], name: str) -> Path:
    for variable, value in assignments.items():
        text, count = re.subn(rf"^{variable}=\S*", f"{variable}={value}", text, flags=re.M)
        assert count == 1, f"the block sets no {variable}="
    return write(base / name, text, 0o700)


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_backup_restore_check_and_restore_run_as_documented(base):
    needs_root()
    needs("age")
    keygen = needs("age-keygen")
    host = urlsplit(os.environ["DATABASE_URL"]).hostname
    if host not in {"127.0.0.1", "localhost", "::1"}:
        pytest.skip("the documented commands reach PostgreSQL through the local socket")
    from sigurnet.hotline import services
    from sigurnet.hotline.models import Evidence, Report

    database = connection.settings_dict["NAME"]
    var = run_folder_steps(base)
    for number in range(3):
        services.file_report(
            services.ReportSubmission(
                category="other", language="en", description=f"Report number {number}."
            ),
            channel="web",
        )
    Evidence.objects.create(storage_name="ev-1", content_type="image/png", size=6)
    write(var / "evidence" / "ev-1", "sealed", 0o600)
    reports = Report.objects.count()

    subprocess.run([keygen, "-o", str(base / "key.txt")], check=True, capture_output=True)
    public = subprocess.run(
        [keygen, "-y", str(base / "key.txt")], check=True, capture_output=True, text=True
    ).stdout
    write(base / "recipients.txt", public, 0o644)
    (base / "backups").mkdir(mode=0o700)

    backup = script(
        base,
        block_with("sh", "Daily backup of Sigurnet"),
        {
            "db": database,
            "var": str(var),
            "backups": str(base / "backups"),
            "recipients": str(base / "recipients.txt"),
        },
        "backup",
    )
    subprocess.run([str(backup)], check=True, capture_output=True, timeout=300)
    made = sorted(path.name for path in (base / "backups").iterdir())
    assert len(made) == 2 and made[0].endswith(".dump.age") and made[1].endswith(".files.age")
    for name in made:  # encrypted: nothing readable in the files
        assert b"hotline_report" not in (base / "backups" / name).read_bytes()
        assert b"ev-1" not in (base / "backups" / name).read_bytes()

    scratch = f"sigurnet_restore_check_{os.getpid()}"
    check = script(
        base,
        block_with("sh", "Restore the newest backup into a scratch database"),
        {
            "identity": str(base / "key.txt"),
            "backups": str(base / "backups"),
            "scratch_db": scratch,
            "scratch_files": str(base / "scratch"),
        },
        "restore-check",
    )
    result = subprocess.run([str(check)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"reports {reports}, evidence rows 1, evidence files 1" in result.stdout

    restored_db = f"sigurnet_restore_{os.getpid()}"
    steps = block_with("sh", "the backup to restore")
    steps = steps.replace("-O sigurnet_owner", "-O postgres").replace(
        "sigurnet:sigurnet", "nobody:nogroup"
    )
    restore = script(
        base,
        "#!/bin/bash\nset -euo pipefail\ncd /\n" + steps,
        {
            "backup": str(base / "backups" / made[0].removesuffix(".dump.age")),
            "identity": str(base / "key.txt"),
            "var": str(base / "restored"),
            "db": restored_db,
        },
        "restore",
    )
    (base / "restored").mkdir()
    try:
        result = subprocess.run([str(restore)], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert psql(restored_db, "SELECT count(*) FROM hotline_report") == str(reports)
    finally:
        psql("postgres", f"DROP DATABASE IF EXISTS {restored_db}")
    evidence = base / "restored" / "evidence"
    assert (evidence / "ev-1").read_text() == "sealed"
    assert evidence.stat().st_mode & 0o777 == 0o700
    assert evidence.owner() == "nobody" and (evidence / "ev-1").owner() == "nobody"
    assert (base / "restored" / "media").stat().st_mode & 0o777 == 0o755
    # the dumps older than keep_days go: backdate one and run the backup again
    old = base / "backups" / made[0]
    past = time.time() - 15 * 24 * 3600
    os.utime(old, (past, past))
    subprocess.run([str(backup)], check=True, capture_output=True, timeout=300)
    assert not old.exists()


def test_the_documented_environment_files_follow_the_format_the_helper_enforces(base):
    helper = block_with("sh", "Run a Sigurnet command as the sigurnet user")
    loader = re.search(r"^load\(\) \{\n.*?^\}\n", helper, flags=re.M | re.S)
    assert loader, "the helper has no load() function"
    examples = [block_with("sh", "SECRET_KEY=..."), block_with("sh", "SIGURNET_INTAKE_IMAP_URL=")]
    for number, example in enumerate(examples):
        env_file = write(base / f"example-{number}.env", example, 0o600)
        result = subprocess.run(
            ["/bin/sh", "-euc", loader.group(0) + f'load "{env_file}"; env'],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        first = next(line for line in example.splitlines() if line and not line.startswith("#"))
        assert first in result.stdout.splitlines()


def test_the_documented_log_rotation_is_valid(base):
    logrotate = needs("logrotate")
    config = block_with("text", "/var/log/sigurnet/*.log").replace(
        "/var/log/sigurnet", str(base / "log")
    )
    (base / "log").mkdir()
    write(base / "log" / "ingest-email.log", "Reports filed: 0.\n", 0o640)
    conf = write(base / "logrotate.conf", config, 0o644)
    result = subprocess.run(
        [logrotate, "--debug", "--state", str(base / "state"), str(conf)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "ingest-email.log" in result.stderr + result.stdout
