"""The ASGI application answers websockets through Channels, under a real server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.conftest import free_port, wait_until_listening

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def asgi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIGURNET_", "DJANGO_")) and key not in {"DATABASE_URL"}
    }
    env.update(
        SIGURNET_DEBUG="1",
        SIGURNET_VAR_DIR=str(tmp_path_factory.mktemp("var")),
        ALLOWED_HOSTS="127.0.0.1",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "sigurnet.asgi:application", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_listening(server, port, "uvicorn")
    yield port
    server.terminate()
    server.wait(timeout=10)


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run in a thread of its own: the browser tests' Playwright keeps a loop in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_echo_consumer_answers_over_a_real_websocket(asgi_server):
    async def talk() -> str:
        async with websockets.connect(
            f"ws://127.0.0.1:{asgi_server}/ws/echo/",
            origin=f"http://127.0.0.1:{asgi_server}",  # type: ignore[arg-type]
        ) as socket_:
            await socket_.send("zdravo, свете")
            return str(await socket_.recv())

    assert run_async(talk()) == "zdravo, свете"


def test_websocket_from_a_foreign_origin_is_refused(asgi_server):
    async def talk() -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{asgi_server}/ws/echo/",
            origin="https://evil.example.net",  # type: ignore[arg-type]
        ):
            pass

    with pytest.raises(InvalidStatus) as raised:
        run_async(talk())
    assert raised.value.response.status_code == 403
