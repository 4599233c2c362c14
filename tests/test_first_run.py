"""`make run` as a newcomer meets it: the banner waits for a server that answers, gunicorn keeps to VAR_DIR."""
from __future__ import annotations

import runpy
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.run import GUNICORN_CONFIG, wait_until_ready


class SlowToBeReady(BaseHTTPRequestHandler):
    """/readyz answers 503 until `ready_at` (a monotonic time), then 200."""

    ready_at = 0.0
    answers: list[int] = []

    def do_GET(self):
        status = 200 if time.monotonic() >= self.ready_at else 503
        self.answers.append(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    SlowToBeReady.ready_at = time.monotonic() + 1.0
    SlowToBeReady.answers = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowToBeReady)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/readyz"
    server.shutdown()
    server.server_close()


@pytest.fixture
def running_process():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def test_the_launcher_waits_until_readyz_answers_200(slow_server, running_process):
    assert wait_until_ready(slow_server, running_process, timeout_seconds=30) is None

    assert time.monotonic() >= SlowToBeReady.ready_at
    assert SlowToBeReady.answers[0] == 503 and SlowToBeReady.answers[-1] == 200


def test_the_launcher_stops_waiting_when_the_web_server_exits(slow_server):
    exited = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    exited.wait()
    started = time.monotonic()

    assert wait_until_ready(slow_server, exited, timeout_seconds=30) == "web exited with code 3"
    assert time.monotonic() - started < 5


def test_the_launcher_gives_up_on_a_server_that_never_gets_ready(slow_server, running_process):
    SlowToBeReady.ready_at = time.monotonic() + 3600

    not_ready = wait_until_ready(slow_server, running_process, timeout_seconds=1)

    assert not_ready.startswith("web did not answer /readyz within 1 s") and "503" in not_ready
    assert set(SlowToBeReady.answers) == {503}


def test_gunicorns_control_socket_is_under_var_dir_not_in_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    # gunicorn.conf.py sets it when absent; monkeypatch puts the test process's value back afterwards.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))

    settings = runpy.run_path(str(GUNICORN_CONFIG))

    assert Path(settings["control_socket"]) == tmp_path / "var" / "gunicorn.ctl"
