"""The ASGI application answers websockets through Channels, under a real server."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("uvicorn did not start")
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
