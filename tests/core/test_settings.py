"""Production settings: refuse to start without secrets; pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from sigurnet.config import new_data_key
from tests.conftest import requires_postgresql

REPO = Path(__file__).resolve().parents[2]


def run_sigurnet(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGURNET_", "DJANGO_", "SECURE_"))
        and key not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    }
    clean.update({"SIGURNET_VAR_DIR": str(tmp_path / "var"), **env})
    return subprocess.run(
        [sys.executable, "-m", "sigurnet", *args],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    return {
        "SECRET_KEY": "p" * 20 + new_data_key(),
        "SIGURNET_DATA_KEYS": new_data_key(),
        "SIGURNET_INDEX_KEY": new_data_key(),
        "ALLOWED_HOSTS": "sigurnet.example.org",
        "DATABASE_URL": "postgres://sigurnet@127.0.0.1:5432/sigurnet",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SIGURNET_PUBLIC_BASE_URL": "https://sigurnet.example.org",
    }


def test_production_refuses_to_start_without_data_keys(tmp_path):
    env = production_env()
    del env["SIGURNET_DATA_KEYS"]
    result = run_sigurnet("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SIGURNET_DATA_KEYS is not set" in result.stderr
    assert not (tmp_path / "var" / "quickstart-secrets.json").exists()


def test_production_refuses_a_malformed_key(tmp_path):
    env = production_env() | {"SIGURNET_DATA_KEYS": "dG9vLXNob3J0"}  # "too-short"
    result = run_sigurnet("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "32 bytes" in result.stderr


def unreachable_database_env() -> dict[str, str]:
    """Production settings whose database (a role that does not exist) fails at once: without the
    pool, which would wait 10 s for a connection before the role check gives up."""
    return production_env() | {"SIGURNET_DB_POOL": "0"}


def test_deployment_checks_pass_with_production_settings(tmp_path):
    result = run_sigurnet(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=unreachable_database_env(),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_quick_start_creates_its_own_secrets_file_outside_git(tmp_path):
    result = run_sigurnet("check", env={"SIGURNET_DEBUG": "1"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    secrets_file = tmp_path / "var" / "quickstart-secrets.json"
    assert secrets_file.exists()
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    ignored = subprocess.run(
        ["git", "check-ignore", "var/quickstart-secrets.json"], cwd=REPO, capture_output=True
    )
    assert ignored.returncode == 0


def test_redis_url_switches_cache_channels_and_celery_to_redis(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.CHANNEL_LAYERS['default']['BACKEND']);"
        "print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run_sigurnet("shell", "-v", "0", "-c", code, env=production_env(), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "sigurnet.core.cache.SharedPoolRedisCache",
        "channels_redis.core.RedisChannelLayer",
        "redis://127.0.0.1:6379/0 False",
    ]
    quick = run_sigurnet(
        "shell", "-v", "0", "-c", code, env={"SIGURNET_DEBUG": "1"}, tmp_path=tmp_path
    )
    assert "InMemoryChannelLayer" in quick.stdout and " True" in quick.stdout


def test_demo_refuses_when_debug_is_off(tmp_path):
    env = production_env() | {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = run_sigurnet("demo", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "Refusing to create demo accounts" in result.stderr


def test_deployment_checks_warn_about_a_missing_public_address(tmp_path):
    env = unreachable_database_env()
    del env["SIGURNET_PUBLIC_BASE_URL"]
    result = run_sigurnet(
        "check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "sigurnet.W001" in result.stdout + result.stderr


def test_deployment_checks_warn_behind_a_proxy_when_no_proxy_is_trusted(tmp_path):
    env = unreachable_database_env() | {"SIGURNET_BEHIND_PROXY": "1"}
    result = run_sigurnet(
        "check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "sigurnet.W003" in result.stdout + result.stderr
    trusted = env | {"SIGURNET_TRUSTED_PROXIES": "1"}
    result = run_sigurnet(
        "check", "--deploy", "--fail-level", "WARNING", env=trusted, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr


def postgres_url_for(user: str) -> str:
    """The test run's PostgreSQL server, connecting as ``user`` to the ``postgres`` database
    (the role check needs a connection, not Sigurnet's tables)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return f"postgres://{user}@{url.hostname or '127.0.0.1'}:{url.port or 5432}/postgres"


@requires_postgresql
def test_deployment_checks_warn_when_the_application_connects_as_a_superuser(tmp_path):
    env = production_env() | {"DATABASE_URL": postgres_url_for("postgres")}
    result = run_sigurnet(
        "check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "sigurnet.W002" in result.stdout + result.stderr


@requires_postgresql
def test_deployment_checks_accept_an_application_role_without_superuser(tmp_path):
    with psycopg.connect(postgres_url_for("postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = 'sigurnet_check_app'")
        if not exists.fetchone():
            admin.execute("CREATE ROLE sigurnet_check_app LOGIN NOSUPERUSER")
    env = production_env() | {"DATABASE_URL": postgres_url_for("sigurnet_check_app")}
    result = run_sigurnet(
        "check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sigurnet.I002" not in result.stdout + result.stderr  # it did connect and look


def first_prompt(command: list[str], env: dict[str, str], tmp_path: Path) -> str:
    """What an interactive command shows first on a terminal (a pseudo-terminal here)."""
    import pty
    import select

    primary, secondary = pty.openpty()
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGURNET_", "DJANGO_", "SECURE_", "LC_", "LANG"))
        and key not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sigurnet", *command],
        cwd=REPO,
        env=clean | {"SIGURNET_VAR_DIR": str(tmp_path / "var"), **env},
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    output = b""
    try:
        while b":" not in output:
            ready, _, _ = select.select([primary], [], [], 60)
            if not ready:
                break
            output += os.read(primary, 1024)
    finally:
        process.kill()
        process.wait()
        os.close(primary)
    return output.decode(errors="replace")


def test_createsuperuser_asks_in_english_whatever_the_sites_default_language(tmp_path):
    env = production_env() | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SIGURNET_DEFAULT_LANGUAGE": "sr-latn",
    }
    migrated = run_sigurnet("migrate", "-v", "0", env=env, tmp_path=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    prompt = first_prompt(["createsuperuser"], env | {"LANG": "C.UTF-8"}, tmp_path)
    assert prompt.startswith("Username"), prompt
    # An operator whose locale is Serbian (Latin) gets Serbian (Latin) prompts.
    prompt = first_prompt(["createsuperuser"], env | {"LANG": "sr_RS.UTF-8@latin"}, tmp_path)
    assert prompt.startswith("Korisni"), prompt
