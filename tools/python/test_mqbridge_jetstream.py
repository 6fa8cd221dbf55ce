"""Tests of mqbridge_jetstream against a real nats-server with JetStream, started on a free local port.

Run: .build/python-nats/bin/python -m unittest discover -s tools/python -v
With /usr/bin/python3 (which has no nats-py), these tests run themselves again in .build/python-nats.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any

try:
    import nats
except ImportError:
    nats = None

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "mqbridge_jetstream.py")
VENV_PYTHON = os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build", "python-nats", "bin", "python")
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
WAIT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NatsServer:
    """``nats-server -js`` on a free loopback port with a throwaway store directory."""

    def __init__(self, jetstream: bool = True) -> None:
        self.store = tempfile.mkdtemp(prefix="mqbridge-js-test-")
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        arguments = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port)]
        if jetstream:
            arguments += ["-js", "-sd", self.store]
        self.log = open(os.path.join(self.store, "server.log"), "wb")
        self.process = subprocess.Popen(arguments, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.server_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"INFO"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nats-server did not start: {self.server_log()}")
            time.sleep(0.05)

    def server_log(self) -> str:
        with open(os.path.join(self.store, "server.log"), "rb") as log:
            return log.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT)
        self.log.close()
        shutil.rmtree(self.store, ignore_errors=True)


def run_cli(*arguments: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, SCRIPT, *arguments], capture_output=True, text=True, timeout=timeout
    )


def json_lines(result: subprocess.CompletedProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def raw_hpub(port: int, subject: str, header_block: bytes, body: bytes) -> None:
    """Publish one message with hand-written header bytes over the plain NATS protocol (no client library)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"INFO")
        sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n')
        sock.sendall(
            f"HPUB {subject} {len(header_block)} {len(header_block) + len(body)}\r\n".encode()
            + header_block + body + b"\r\nPING\r\n"
        )
        line = reader.readline()
        assert line == b"PONG\r\n", line


@unittest.skipUnless(nats is not None, "nats-py is not importable here (see VenvRun)")
class JetStreamCLITests(unittest.TestCase):
    server: NatsServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = NatsServer()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def js(self, operation) -> Any:
        """Run ``operation(js)`` with a fresh nats-py connection."""

        async def go() -> Any:
            nc = await nats.connect(self.server.url)
            try:
                return await operation(nc.jetstream())
            finally:
                await nc.close()

        return asyncio.run(go())

    def add_stream(self, name: str, subjects: list[str]) -> None:
        self.js(lambda js: js.add_stream(name=name, subjects=subjects))

    def ok(self, *arguments: str) -> list[dict[str, Any]]:
        result = run_cli(*arguments)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        return json_lines(result)

    def fails(self, *arguments: str, code: int = 1) -> str:
        result = run_cli(*arguments)
        self.assertEqual(result.returncode, code, f"stdout: {result.stdout} stderr: {result.stderr}")
        self.assertEqual(result.stdout, "")
        return result.stderr

    def test_publish_with_headers_and_msg_id_then_duplicate(self) -> None:
        self.add_stream("PUB", ["pub.>"])
        publish = ["publish", "--server", self.server.url, "--subject", "pub.cmd",
                   "--header", "Mqb-Tag=cmd", "--header", "Mqb-Keys= dev-001 ", "--msg-id", "cmd-1",
                   "--body", "reboot ✓"]
        self.assertEqual(self.ok(*publish), [{"stream": "PUB", "seq": 1, "duplicate": False}])
        self.assertEqual(self.ok(*publish), [{"stream": "PUB", "seq": 1, "duplicate": True}])
        again = publish[:-3] + ["cmd-2", "--body", "reboot ✓"]
        self.assertEqual(self.ok(*again), [{"stream": "PUB", "seq": 2, "duplicate": False}])

        # What nats-py itself reads back.
        stored = self.js(lambda js: js.get_msg("PUB", 1))
        self.assertEqual(stored.subject, "pub.cmd")
        self.assertEqual(stored.data, "reboot ✓".encode())
        self.assertEqual(stored.headers.get("Mqb-Tag"), "cmd")
        self.assertEqual(stored.headers.get("Mqb-Keys"), "dev-001")
        self.assertEqual(stored.headers.get("Nats-Msg-Id"), "cmd-1")

        lines = self.ok("dump", "--server", self.server.url, "--stream", "PUB")
        self.assertEqual(lines[-1], {"count": 2})
        self.assertEqual(
            lines[0],
            {"seq": 1, "subject": "pub.cmd",
             "headers": {"Mqb-Tag": ["cmd"], "Mqb-Keys": ["dev-001"], "Nats-Msg-Id": ["cmd-1"]},
             "body_b64": base64.b64encode("reboot ✓".encode()).decode(), "body_utf8": "reboot ✓"},
        )
        self.assertEqual(lines[1]["headers"]["Nats-Msg-Id"], ["cmd-2"])

    def test_dump_repeated_headers_binary_and_empty_bodies(self) -> None:
        self.add_stream("DUMP", ["dump.>"])
        binary = bytes(range(256))
        # Written by hand on the wire: a repeated name, no space after a colon, odd case.
        raw_hpub(self.server.port, "dump.raw",
                 b"NATS/1.0\r\nX-Multi: one\r\nx-case:Two\r\nX-Multi: two words \r\n\r\n", binary)
        # The same through the tool: a name repeated on the command line is sent with every value.
        published = self.ok("publish", "--server", self.server.url, "--subject", "dump.cli",
                            "--header", "X-Multi=a", "--header", "X-Other=b", "--header", "X-Multi=c",
                            "--msg-id", "rep-1", "--body-b64", base64.b64encode(b"\xff\x00").decode())
        self.assertEqual(published, [{"stream": "DUMP", "seq": 2, "duplicate": False}])
        duplicate = self.ok("publish", "--server", self.server.url, "--subject", "dump.cli",
                            "--header", "X-Multi=a", "--header", "X-Multi=c", "--msg-id", "rep-1", "--body", "x")
        self.assertEqual(duplicate, [{"stream": "DUMP", "seq": 2, "duplicate": True}])
        self.ok("publish", "--server", self.server.url, "--subject", "dump.empty", "--body", "")
        self.ok("publish", "--server", self.server.url, "--subject", "dump.gone", "--body", "deleted")
        self.ok("publish", "--server", self.server.url, "--subject", "dump.last", "--body", "{\"a\":1}")
        self.js(lambda js: js.delete_msg("DUMP", 4))

        lines = self.ok("dump", "--server", self.server.url, "--stream", "DUMP", "--timeout", "3")
        self.assertEqual(lines[-1], {"count": 4})
        by_seq = {line["seq"]: line for line in lines[:-1]}
        self.assertEqual(sorted(by_seq), [1, 2, 3, 5], "a deleted message is skipped")
        raw = by_seq[1]
        self.assertEqual(raw["subject"], "dump.raw")
        self.assertEqual(raw["headers"], {"X-Multi": ["one", "two words"], "x-case": ["Two"]})
        self.assertEqual(base64.b64decode(raw["body_b64"]), binary)
        self.assertIsNone(raw["body_utf8"])
        cli = by_seq[2]
        self.assertEqual(cli["headers"], {"X-Multi": ["a", "c"], "X-Other": ["b"], "Nats-Msg-Id": ["rep-1"]})
        self.assertEqual(cli["body_b64"], base64.b64encode(b"\xff\x00").decode())
        self.assertIsNone(cli["body_utf8"])
        self.assertEqual(by_seq[3], {"seq": 3, "subject": "dump.empty", "headers": {}, "body_b64": "", "body_utf8": ""})
        self.assertEqual(by_seq[5]["body_utf8"], "{\"a\":1}")

    def test_dump_empty_stream(self) -> None:
        self.add_stream("EMPTY", ["empty.>"])
        self.assertEqual(self.ok("dump", "--server", self.server.url, "--stream", "EMPTY"), [{"count": 0}])

    def test_streams(self) -> None:
        self.add_stream("LIST_A", ["list.a", "list.a.>"])
        self.add_stream("LIST_B", ["list.b"])
        self.ok("publish", "--server", self.server.url, "--subject", "list.b", "--body", "1")
        self.ok("publish", "--server", self.server.url, "--subject", "list.b", "--body", "2")
        lines = {line["name"]: line for line in self.ok("streams", "--server", self.server.url)}
        self.assertEqual(lines["LIST_A"], {"name": "LIST_A", "subjects": ["list.a", "list.a.>"], "replicas": 1, "messages": 0})
        self.assertEqual(lines["LIST_B"], {"name": "LIST_B", "subjects": ["list.b"], "replicas": 1, "messages": 2})

    def test_failures(self) -> None:
        url = self.server.url
        self.assertIn("stream 'MISSING' not found", self.fails("dump", "--server", url, "--stream", "MISSING"))
        self.assertIn("no stream stores subject 'nowhere'",
                      self.fails("publish", "--server", url, "--subject", "nowhere", "--body", "x"))
        self.assertIn("no stream stores subject 'nowhere'",
                      self.fails("publish", "--server", url, "--subject", "nowhere",
                                 "--header", "A=1", "--header", "A=2", "--body", "x"))
        closed = f"nats://127.0.0.1:{free_port()}"
        self.assertIn(f"cannot connect to {closed}", self.fails("streams", "--server", closed, "--timeout", "2"))
        self.assertIn("Name=Value", self.fails("publish", "--server", url, "--subject", "s", "--header", "bad name=1",
                                                "--body", "x", code=2))
        self.assertIn("base64", self.fails("publish", "--server", url, "--subject", "s", "--body-b64", "%%%", code=2))
        self.fails("publish", "--server", url, "--subject", "s", "--body", "x", "--body-b64", "eA==", code=2)

    def test_without_jetstream(self) -> None:
        plain = NatsServer(jetstream=False)
        try:
            self.assertIn("JetStream is not enabled", self.fails("dump", "--server", plain.url, "--stream", "ANY"))
        finally:
            plain.stop()


@unittest.skipUnless(nats is None, "nats-py is importable here; the tests run directly")
class VenvRun(unittest.TestCase):
    """Under a Python without nats-py (Debian's /usr/bin/python3), run the tests in .build/python-nats.

    A missing environment is a failure, not a skip: scripts/install-deps.sh makes it.
    """

    def test_jetstream_tool_in_virtual_environment(self) -> None:
        self.assertTrue(os.path.exists(VENV_PYTHON), f"{VENV_PYTHON} is missing: run scripts/install-deps.sh")
        result = subprocess.run(
            [VENV_PYTHON, "-m", "unittest", "-v", "test_mqbridge_jetstream.JetStreamCLITests"],
            cwd=HERE, capture_output=True, text=True, timeout=300,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.strip().splitlines()[-1], "OK", result.stderr)


if __name__ == "__main__":
    unittest.main()
