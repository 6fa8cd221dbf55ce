"""Tests of mqbridge_peer against a fake hub that plays the hub's side of docs/wire-protocol.md.

Run: /usr/bin/python3 -m unittest discover -s tools/python -v
"""

from __future__ import annotations

import base64
import collections
import json
import os
import queue
import subprocess
import sys
import threading
import time
import unittest
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import zmq

import mqbridge_peer as mp

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mqbridge_peer.py")
WAIT = 5.0  # upper bound for anything that should happen "soon"

Frames = list[bytes]


def frames(kind: str, meta: Any = None, body: Optional[bytes] = None) -> Frames:
    """Build raw frames, without any of the checks mqbridge_peer.encode makes."""
    out = [b"MQB1", kind.encode(), json.dumps({} if meta is None else meta).encode()]
    if body is not None:
        out.append(body)
    return out


@dataclass
class PeerState:
    """What the fake hub knows about one connected peer."""

    hello: dict[str, Any]
    window: int
    unacked: dict[int, dict[str, Any]] = field(default_factory=dict)
    max_unacked: int = 0
    producer_seqs: set[int] = field(default_factory=set)


@dataclass
class Received:
    """One valid message the fake hub received."""

    identity: bytes
    kind: str
    meta: dict[str, Any]
    body: Optional[bytes]
    at: float


class FakeHub:
    """A ROUTER on a random TCP port that plays the hub's side of the protocol, in a thread.

    - HELLO is checked and answered WELCOME {session, heartbeatMs} (or ERROR bad_hello);
      anything before HELLO is answered ERROR no_hello.
    - PING is answered PONG (unless ``answer_pings`` is False).
    - Queued deliveries (``deliver``) are pushed to consumers as DATA with increasing seqs, never
      more unacknowledged than the consumer's window (unless ``respect_window`` is False).
    - A consumer's ACK must name an unacknowledged seq.
    - A producer's DATA is checked and answered by ``producer_reply`` (default: ACK with a msgId).
    Everything the peer does wrong is appended to ``violations``.
    """

    def __init__(
        self,
        heartbeat_ms: int = 1000,
        welcome: bool = True,
        reject_hello: Optional[str] = None,
        respect_window: bool = True,
        answer_pings: bool = True,
        producer_reply: Optional[Callable[[dict[str, Any], bytes], list[Frames]]] = None,
    ) -> None:
        self.heartbeat_ms = heartbeat_ms
        self.welcome = welcome
        self.reject_hello = reject_hello
        self.respect_window = respect_window
        self.answer_pings = answer_pings
        self.producer_reply = producer_reply or (
            lambda meta, body: [frames("ACK", {"seq": meta["seq"], "msgId": f"MSG-{meta['seq']}"})]
        )
        self.cond = threading.Condition()
        self.log: list[Received] = []
        self.violations: list[str] = []
        self.peers: dict[bytes, PeerState] = {}
        self.acked: list[int] = []
        self.to_deliver: collections.deque[tuple[dict[str, Any], bytes]] = collections.deque()
        self.next_seq = 1
        self.commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self.stopping = False
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    # -- test-side helpers (any thread) --------------------------------------------------------

    def stop(self) -> None:
        self.stopping = True
        self.thread.join(WAIT)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def received(self, kind: str) -> list[Received]:
        with self.cond:
            return [r for r in self.log if r.kind == kind]

    def count(self, kind: str) -> int:
        return len(self.received(kind))

    def deliver(self, meta: dict[str, Any], body: bytes) -> None:
        """Queue a queue-side message for the consumers (the hub adds seq, msgId, bornTimestamp)."""
        with self.cond:
            self.to_deliver.append((meta, body))

    def inject(self, raw: Frames, identity: Optional[bytes] = None) -> None:
        """Send raw frames to a peer (the only one, if identity is None)."""
        self.commands.put(lambda: self.sock.send_multipart([identity or self.only_identity(), *raw]))

    def forget(self, identity: bytes) -> None:
        """Act as if the hub had restarted: this peer must say HELLO again."""
        with self.cond:
            self.peers.pop(identity, None)

    def only_identity(self) -> bytes:
        with self.cond:
            identities = {r.identity for r in self.log if r.kind == "HELLO"}
        assert len(identities) == 1, identities
        return identities.pop()

    # -- the hub thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self.stopping:
                if self.sock.poll(10):
                    while True:
                        try:
                            raw = self.sock.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        with self.cond:
                            self._handle(raw[0], raw[1:])
                            self.cond.notify_all()
                while True:
                    try:
                        self.commands.get_nowait()()
                    except queue.Empty:
                        break
                with self.cond:
                    self._push()
                    self.cond.notify_all()
        finally:
            self.sock.close(0)

    def _send(self, identity: bytes, raw: Frames) -> None:
        self.sock.send_multipart([identity, *raw])

    def _error(self, identity: bytes, code: str, message: str, seq: Optional[int] = None) -> None:
        meta: dict[str, Any] = {"code": code, "message": message}
        if seq is not None:
            meta["seq"] = seq
        self._send(identity, frames("ERROR", meta))

    def _handle(self, identity: bytes, raw: Frames) -> None:
        if raw[0] != b"MQB1":
            self.violations.append(f"protocol tag {raw[0]!r}")
            return self._error(identity, "unsupported_version", "expected MQB1")
        kind = raw[1].decode("ascii", "replace") if len(raw) > 1 else ""
        if kind not in mp.KINDS:
            self.violations.append(f"unknown kind {kind!r}")
            return self._error(identity, "unknown_kind", kind)
        if len(raw) != (4 if kind == "DATA" else 3):
            self.violations.append(f"{kind} with {len(raw)} frames")
            return self._error(identity, "malformed_frame", "frame count")
        try:
            meta = json.loads(raw[2].decode("utf-8"))
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            self.violations.append(f"{kind} metadata {raw[2]!r}")
            return self._error(identity, "malformed_frame", "metadata")
        self.log.append(Received(identity, kind, meta, raw[3] if kind == "DATA" else None, time.monotonic()))

        if kind == "HELLO":
            return self._hello(identity, meta)
        peer = self.peers.get(identity)
        if peer is None:
            return self._error(identity, "no_hello", "say HELLO first")
        if kind == "PING":
            if self.answer_pings:
                self._send(identity, frames("PONG"))
        elif kind == "ACK":
            seq = meta.get("seq")
            if seq not in peer.unacked:
                self.violations.append(f"ACK for seq {seq!r}, not unacknowledged")
            else:
                del peer.unacked[seq]
                self.acked.append(seq)
        elif kind == "CREDIT":
            window = meta.get("window")
            if not isinstance(window, int) or not 1 <= window <= 100000:
                self.violations.append(f"CREDIT {meta}")
            else:
                peer.window = window
        elif kind == "DATA":
            self._producer_data(identity, peer, meta, raw[3])
        elif kind == "BYE":
            del self.peers[identity]
        elif kind in ("PONG", "ERROR"):
            pass
        else:
            self.violations.append(f"peer sent {kind}")

    def _hello(self, identity: bytes, meta: dict[str, Any]) -> None:
        role = meta.get("role")
        window = meta.get("window", 100)
        problems = []
        if role not in ("consumer", "producer", "mqtt-worker"):
            problems.append("role")
        if not isinstance(meta.get("name"), str):
            problems.append("name")
        if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 100000:
            problems.append("window")
        if role == "consumer":
            if not isinstance(meta.get("topic"), str):
                problems.append("topic")
            if not isinstance(meta.get("tags", "*"), str):
                problems.append("tags")
            if "group" in meta and not isinstance(meta["group"], str):
                problems.append("group")
        if problems:
            self.violations.append(f"bad HELLO {meta}")
            return self._error(identity, "bad_hello", "bad " + ", ".join(problems))
        if self.reject_hello:
            return self._error(identity, "bad_hello", self.reject_hello)
        if not self.welcome:
            return
        self.peers[identity] = PeerState(hello=meta, window=window)
        self._send(identity, frames("WELCOME", {"session": f"S-{len(self.log)}", "heartbeatMs": self.heartbeat_ms}))

    def _producer_data(self, identity: bytes, peer: PeerState, meta: dict[str, Any], body: bytes) -> None:
        seq = meta.get("seq")
        if peer.hello.get("role") != "producer":
            self.violations.append("DATA from a consumer")
            return
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**53:
            self.violations.append(f"DATA seq {seq!r}")
            return self._error(identity, "malformed_message", "seq")
        if seq in peer.producer_seqs:
            self.violations.append(f"DATA seq {seq} reused")
        peer.producer_seqs.add(seq)
        ok = (
            isinstance(meta.get("topic"), str)
            and isinstance(meta.get("keys", []), list)
            and isinstance(meta.get("properties", {}), dict)
            and isinstance(meta.get("tag", ""), str)
        )
        if not ok:
            self.violations.append(f"DATA metadata {meta}")
            return self._error(identity, "malformed_message", "members", seq)
        for raw in self.producer_reply(meta, body):
            self._send(identity, raw)

    def _push(self) -> None:
        for identity, peer in self.peers.items():
            if peer.hello.get("role") != "consumer":
                continue
            while self.to_deliver and (not self.respect_window or len(peer.unacked) < peer.window):
                meta, body = self.to_deliver.popleft()
                seq = self.next_seq
                self.next_seq += 1
                full = {"seq": seq, **meta, "msgId": f"ID-{seq}", "bornTimestamp": 1795297490000 + seq}
                peer.unacked[seq] = full
                peer.max_unacked = max(peer.max_unacked, len(peer.unacked))
                self._send(identity, frames("DATA", full, body))


class HubTestCase(unittest.TestCase):
    """Starts fake hubs on demand, stops them and closes peers after each test."""

    def setUp(self) -> None:
        self.problems: list[str] = []
        self.hubs: list[FakeHub] = []
        self.peers: list[Any] = []

    def tearDown(self) -> None:
        for peer in self.peers:
            peer.close()
        for hub in self.hubs:
            hub.stop()

    def hub(self, **options: Any) -> FakeHub:
        hub = FakeHub(**options)
        self.hubs.append(hub)
        return hub

    def consumer(self, hub: FakeHub, **options: Any) -> mp.Consumer:
        options.setdefault("topic", "SENSOR_DATA")
        consumer = mp.Consumer(hub.endpoint, on_problem=self.problems.append, **options)
        self.peers.append(consumer)
        return consumer

    def producer(self, hub: FakeHub, **options: Any) -> mp.Producer:
        producer = mp.Producer(hub.endpoint, on_problem=self.problems.append, **options)
        self.peers.append(producer)
        return producer

    def assertNoViolations(self, hub: FakeHub) -> None:
        with hub.cond:
            self.assertEqual(hub.violations, [])


class FrameTests(unittest.TestCase):
    def test_encode_decode_round_trip(self) -> None:
        raw = mp.encode("DATA", {"seq": 3, "topic": "T"}, b"\x00\xff")
        self.assertEqual(raw[0], b"MQB1")
        self.assertEqual(raw[1], b"DATA")
        self.assertEqual(json.loads(raw[2]), {"seq": 3, "topic": "T"})
        msg = mp.decode(raw)
        self.assertEqual((msg.kind, msg.meta, msg.body), ("DATA", {"seq": 3, "topic": "T"}, b"\x00\xff"))

    def test_decode_codes(self) -> None:
        cases = [
            ([b"MQB2", b"PING", b"{}"], "unsupported_version"),
            ([b"MQB1", b"NOPE", b"{}"], "unknown_kind"),
            ([b"MQB1", b"\xff", b"{}"], "unknown_kind"),
            ([b"MQB1", b"PING", b"{}", b"x"], "malformed_frame"),
            ([b"MQB1", b"DATA", b'{"seq":1}'], "malformed_frame"),
            ([b"MQB1", b"PING", b"{"], "malformed_frame"),
            ([b"MQB1", b"PING", b"[1]"], "malformed_frame"),
            ([b"MQB1", b"PING", b"\xff"], "malformed_frame"),
            ([b"MQB1", b"WELCOME", b'{"session":"s"}'], "malformed_frame"),
            ([b"MQB1", b"ACK", b'{"seq":-1}'], "malformed_frame"),
            ([b"MQB1", b"ACK", b'{"seq":9007199254740992}'], "malformed_frame"),
            ([b"MQB1", b"ERROR", b'{"message":"no code"}'], "malformed_frame"),
        ]
        for raw, code in cases:
            with self.subTest(raw=raw):
                with self.assertRaises(mp.FrameError) as ctx:
                    mp.decode(raw)
                self.assertEqual(ctx.exception.code, code)

    def test_check_order_for_short_messages(self) -> None:
        # The documented order: tag, kind, then the number of frames. A missing frame reads as empty for
        # the first two checks, so a short message gets the code of the first check it fails (the same
        # table as the hub's WireCodecTests.checkOrderCases).
        cases = [
            ([], "unsupported_version"),
            ([b"garbage"], "unsupported_version"),
            ([b""], "unsupported_version"),
            ([b"MQB2"], "unsupported_version"),
            ([b"MQB1"], "unknown_kind"),
            ([b"garbage", b"PING"], "unsupported_version"),
            ([b"garbage", b"NOPE"], "unsupported_version"),
            ([b"MQB1", b"NOPE"], "unknown_kind"),
            ([b"MQB1", b""], "unknown_kind"),
            ([b"MQB1", b"PING"], "malformed_frame"),
            ([b"MQB1", b"DATA"], "malformed_frame"),
            ([b"garbage", b"NOPE", b"{}"], "unsupported_version"),
            ([b"MQB1", b"NOPE", b"{}"], "unknown_kind"),
            ([b"MQB1", b"DATA", b"{}"], "malformed_frame"),
            ([b"MQB1", b"PING", b"not json"], "malformed_frame"),
            ([b"garbage", b"NOPE", b"{}", b"", b""], "unsupported_version"),
            ([b"MQB1", b"NOPE", b"{}", b"", b""], "unknown_kind"),
            ([b"MQB1", b"DATA", b"{}", b"", b""], "malformed_frame"),
        ]
        for raw, code in cases:
            with self.subTest(raw=raw):
                with self.assertRaises(mp.FrameError) as ctx:
                    mp.decode(raw)
                self.assertEqual(ctx.exception.code, code)

    def test_unknown_members_are_ignored(self) -> None:
        msg = mp.decode([b"MQB1", b"WELCOME", b'{"session":"s","heartbeatMs":5,"future":[1]}'])
        self.assertEqual(msg.meta["heartbeatMs"], 5)


class ConsumerTests(HubTestCase):
    def test_hello_then_messages_in_order_acked(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub, topic="SENSOR_DATA", tags="temp||hum", group="backend", window=10, name="c-1")
        self.assertIsNotNone(consumer.session)
        self.assertEqual(consumer.heartbeat_ms, 1000)
        (hello,) = hub.received("HELLO")
        self.assertEqual(
            hello.meta,
            {"role": "consumer", "name": "c-1", "topic": "SENSOR_DATA", "tags": "temp||hum", "group": "backend", "window": 10},
        )
        for i in range(5):
            hub.deliver(
                {"topic": "SENSOR_DATA", "tag": "temp", "keys": [f"k{i}"], "properties": {"qoslevel": "1"}},
                f"body-{i}".encode(),
            )
        hub.deliver({"topic": "SENSOR_DATA", "keys": [], "properties": {}}, b"no tag")
        got = list(consumer.messages(idle_timeout=WAIT, count=6))
        self.assertEqual([m["body"] for m in got], [f"body-{i}" for i in range(5)] + ["no tag"])
        self.assertEqual(
            dict(got[0]),
            {
                "topic": "SENSOR_DATA", "tag": "temp", "keys": ["k0"], "properties": {"qoslevel": "1"},
                "body": "body-0", "msgId": "ID-1", "bornTimestamp": 1795297490001,
            },
        )
        self.assertNotIn("tag", got[5])
        self.assertEqual([m.seq for m in got], [1, 2, 3, 4, 5, 6])
        self.assertTrue(hub.wait_until(lambda: len(hub.acked) == 6), hub.acked)
        self.assertEqual(hub.acked, [1, 2, 3, 4, 5, 6])
        self.assertEqual([r.meta for r in hub.received("ACK")], [{"seq": s} for s in range(1, 7)])
        consumer.close()
        self.assertTrue(hub.wait_until(lambda: hub.count("BYE") == 1))
        self.assertEqual(hub.received("BYE")[0].meta, {})
        self.assertNoViolations(hub)
        self.assertEqual(self.problems, [])

    def test_iterator_acks_only_when_the_caller_moves_on(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub)
        hub.deliver({"topic": "SENSOR_DATA"}, b"a")
        hub.deliver({"topic": "SENSOR_DATA"}, b"b")
        it = consumer.messages(idle_timeout=WAIT)
        first = next(it)
        consumer.set_window(50)  # ordering barrier: CREDIT reaches the hub after any earlier ACK
        self.assertTrue(hub.wait_until(lambda: hub.count("CREDIT") == 1))
        self.assertEqual(hub.acked, [], "acked before the caller was done with it")
        second = next(it)
        self.assertEqual((first["body"], second["body"]), ("a", "b"))
        self.assertTrue(hub.wait_until(lambda: hub.acked == [1]))
        it.close()
        self.assertTrue(hub.wait_until(lambda: hub.acked == [1, 2]))
        self.assertNoViolations(hub)

    def test_window_is_never_exceeded(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub, window=3)
        self.assertEqual(hub.received("HELLO")[0].meta["window"], 3)
        for i in range(10):
            hub.deliver({"topic": "SENSOR_DATA"}, str(i).encode())
        held = [consumer.receive(WAIT) for _ in range(3)]
        self.assertEqual([m["body"] for m in held if m], ["0", "1", "2"])
        self.assertEqual(consumer.unacked, 3)
        consumer.set_window(3)  # barrier, see above
        self.assertTrue(hub.wait_until(lambda: hub.count("CREDIT") == 1))
        self.assertEqual(hub.acked, [])
        self.assertIsNone(consumer.receive(0.2), "a fourth message arrived with a window of 3")
        self.assertEqual(len(hub.to_deliver), 7)
        self.assertTrue(consumer.ack(held[0]))
        self.assertFalse(consumer.ack(held[0]), "acked twice")
        fourth = consumer.receive(WAIT)
        self.assertIsNotNone(fourth)
        assert fourth is not None
        self.assertEqual(fourth["body"], "3")
        for m in (held[1], held[2], fourth):
            consumer.ack(m)
        rest = list(consumer.messages(idle_timeout=WAIT, count=6))
        self.assertEqual([m["body"] for m in rest], [str(i) for i in range(4, 10)])
        self.assertTrue(hub.wait_until(lambda: len(hub.acked) == 10))
        (peer,) = hub.peers.values()
        self.assertEqual(peer.max_unacked, 3)
        self.assertNoViolations(hub)
        self.assertEqual(self.problems, [])

    def test_credit_raises_the_window(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub, window=1)
        for i in range(3):
            hub.deliver({"topic": "SENSOR_DATA"}, str(i).encode())
        first = consumer.receive(WAIT)
        self.assertIsNotNone(first)
        consumer.set_window(3)
        self.assertTrue(hub.wait_until(lambda: hub.received("CREDIT") != []))
        self.assertEqual(hub.received("CREDIT")[0].meta, {"window": 3})
        others = [consumer.receive(WAIT), consumer.receive(WAIT)]
        self.assertEqual([m["body"] for m in others if m], ["1", "2"])
        self.assertEqual(consumer.unacked, 3)

    def test_hub_exceeding_the_window_is_reported(self) -> None:
        hub = self.hub(respect_window=False)
        consumer = self.consumer(hub, window=2)
        for i in range(3):
            hub.deliver({"topic": "SENSOR_DATA"}, str(i).encode())
        got = [consumer.receive(WAIT) for _ in range(3)]
        self.assertEqual([m["body"] for m in got if m], ["0", "1", "2"])
        self.assertEqual(len(self.problems), 1, self.problems)
        self.assertIn("exceeded the window", self.problems[0])

    def test_binary_and_empty_bodies(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub)
        hub.deliver({"topic": "SENSOR_DATA"}, b"\xff\x00\xfe")
        hub.deliver({"topic": "SENSOR_DATA"}, b"")
        hub.deliver({"topic": "SENSOR_DATA"}, "21.5 °C".encode())
        binary, empty, text = list(consumer.messages(idle_timeout=WAIT, count=3))
        self.assertNotIn("body", binary)
        self.assertEqual(binary["bodyBase64"], base64.b64encode(b"\xff\x00\xfe").decode())
        self.assertEqual(binary.body_bytes, b"\xff\x00\xfe")
        self.assertEqual(empty["body"], "")
        self.assertNotIn("bodyBase64", empty)
        self.assertEqual(text["body"], "21.5 °C")

    def test_malformed_messages_are_skipped_and_answered(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub)
        good = frames("DATA", {"seq": 1}, b"x")
        bad = [
            ([b"MQB9", *good[1:]], "unsupported_version"),
            (frames("FROB", {}), "unknown_kind"),
            ([b"MQB1", b"DATA", b"{not json", b"x"], "malformed_frame"),
            (frames("DATA", {"seq": 90, "topic": "SENSOR_DATA"}), "malformed_frame"),  # no body frame
            (frames("PING", [1, 2]), "malformed_frame"),
            (frames("DATA", {"topic": "SENSOR_DATA"}, b"x"), "malformed_frame"),  # no seq
            (frames("DATA", {"seq": 91, "keys": []}, b"x"), "malformed_message"),  # no topic
            (frames("DATA", {"seq": 92, "topic": "SENSOR_DATA", "keys": "k"}, b"x"), "malformed_message"),
        ]
        for raw, _ in bad:
            hub.inject(raw)
        hub.deliver({"topic": "SENSOR_DATA", "tag": "ok"}, b"valid")
        message = consumer.receive(WAIT)
        self.assertIsNotNone(message)
        assert message is not None
        self.assertEqual((message["tag"], message["body"]), ("ok", "valid"))
        self.assertTrue(hub.wait_until(lambda: hub.count("ERROR") == len(bad)), hub.received("ERROR"))
        errors = [r.meta for r in hub.received("ERROR")]
        self.assertEqual([e["code"] for e in errors], [code for _, code in bad])
        self.assertEqual([e.get("seq") for e in errors[-2:]], [91, 92])
        self.assertEqual(len(self.problems), len(bad), self.problems)
        self.assertTrue(all("malformed" in p for p in self.problems), self.problems)
        self.assertIsNone(consumer.receive(0.1))
        consumer.ack(message)
        self.assertTrue(hub.wait_until(lambda: hub.acked == [1]))
        self.assertNoViolations(hub)

    def test_unexpected_kinds_and_hub_errors_are_reported(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub)
        hub.inject(frames("ACK", {"seq": 5}))
        hub.inject(frames("ERROR", {"code": "malformed_frame", "message": "metadata is not a JSON object"}))
        hub.inject(frames("ERROR", {"oops": 1}))  # malformed ERROR: reported, not answered
        hub.deliver({"topic": "SENSOR_DATA"}, b"after")
        message = consumer.receive(WAIT)
        self.assertIsNotNone(message)
        self.assertEqual(len(self.problems), 3, self.problems)
        self.assertIn("unexpected ACK", self.problems[0])
        self.assertIn("malformed_frame: metadata is not a JSON object", self.problems[1])
        self.assertIn("malformed", self.problems[2])
        consumer.set_window(5)  # barrier
        self.assertTrue(hub.wait_until(lambda: hub.count("CREDIT") == 1))
        self.assertEqual(hub.received("ERROR"), [], "answered an ERROR with an ERROR")

    def test_bad_hello_and_handshake_timeout(self) -> None:
        hub = self.hub(reject_hello="unknown topic")
        with self.assertRaises(mp.HubError) as ctx:
            self.consumer(hub)
        self.assertEqual((ctx.exception.code, ctx.exception.message), ("bad_hello", "unknown topic"))

        silent = self.hub(welcome=False)
        start = time.monotonic()
        with self.assertRaises(mp.HandshakeTimeout) as tctx:
            self.consumer(silent, handshake_timeout=0.3)
        self.assertLess(time.monotonic() - start, WAIT)
        self.assertIn("no WELCOME", str(tctx.exception))
        self.assertTrue(silent.wait_until(lambda: silent.count("BYE") == 1))

    def test_local_argument_checks(self) -> None:
        hub = self.hub()
        for window in (0, 100001, True):
            with self.subTest(window=window), self.assertRaises(ValueError):
                self.consumer(hub, window=window)
        self.assertEqual(hub.count("HELLO"), 0)

    def test_receive_after_close_raises(self) -> None:
        hub = self.hub()
        consumer = self.consumer(hub)
        consumer.close()
        with self.assertRaises(mp.PeerError):
            consumer.receive(0)
        with self.assertRaises(mp.PeerError):
            consumer.set_window(4)


class HeartbeatTests(HubTestCase):
    def test_peer_pings_every_heartbeat_and_accepts_pong(self) -> None:
        hub = self.hub(heartbeat_ms=50)
        consumer = self.consumer(hub)
        self.assertEqual(consumer.heartbeat_ms, 50)
        self.assertTrue(hub.wait_until(lambda: hub.count("PING") >= 4))
        pings = hub.received("PING")
        self.assertEqual(pings[0].meta, {})
        average = (pings[-1].at - pings[0].at) / (len(pings) - 1)
        self.assertGreater(average, 0.035, "pings faster than heartbeatMs")
        self.assertTrue(consumer.hub_alive)
        self.assertEqual(self.problems, [], "a PONG was treated as a problem")
        self.assertNoViolations(hub)

    def test_hub_ping_is_answered_with_pong(self) -> None:
        hub = self.hub()
        producer = self.producer(hub)
        hub.inject(frames("PING", {}))
        self.assertTrue(hub.wait_until(lambda: hub.count("PONG") == 1))
        self.assertEqual(hub.received("PONG")[0].meta, {})
        self.assertEqual(self.problems, [])
        producer.close()

    def test_hub_silence_is_noticed(self) -> None:
        hub = self.hub(heartbeat_ms=40, answer_pings=False)
        consumer = self.consumer(hub)
        deadline = time.monotonic() + WAIT
        while consumer.hub_alive and time.monotonic() < deadline:
            hub.wait_until(lambda: False, 0.02)  # poll with a deadline
        self.assertFalse(consumer.hub_alive)
        self.assertIn("silent for three heartbeats", self.problems[0])
        hub.inject(frames("PING", {}))
        self.assertTrue(hub.wait_until(lambda: hub.count("PONG") == 1))
        self.assertTrue(consumer.hub_alive)

    def test_no_hello_makes_the_peer_say_hello_again(self) -> None:
        hub = self.hub(heartbeat_ms=40)
        consumer = self.consumer(hub, window=7, group="g")
        identity = hub.only_identity()
        hub.forget(identity)  # a restarted hub: the next PING is answered no_hello
        self.assertTrue(hub.wait_until(lambda: hub.count("HELLO") == 2))
        first, second = hub.received("HELLO")
        self.assertEqual(first.meta, second.meta)
        hub.deliver({"topic": "SENSOR_DATA"}, b"after restart")
        message = consumer.receive(WAIT)
        self.assertIsNotNone(message)
        self.assertEqual(len([p for p in self.problems if "no_hello" in p]), 1, self.problems)


class ProducerTests(HubTestCase):
    def test_send_returns_msg_id(self) -> None:
        hub = self.hub()
        producer = self.producer(hub, window=5, name="p-1")
        self.assertEqual(hub.received("HELLO")[0].meta, {"role": "producer", "name": "p-1", "window": 5})
        msg_id = producer.send("DEVICE_CMD", b"\x01reboot", tag="cmd", keys=["dev-001", "x"], properties={"qoslevel": "1"})
        second = producer.send("DEVICE_CMD", b"")
        data = hub.received("DATA")
        self.assertEqual(msg_id, f"MSG-{data[0].meta['seq']}")
        self.assertEqual(second, f"MSG-{data[1].meta['seq']}")
        self.assertEqual(
            {k: v for k, v in data[0].meta.items() if k != "seq"},
            {"topic": "DEVICE_CMD", "tag": "cmd", "keys": ["dev-001", "x"], "properties": {"qoslevel": "1"}},
        )
        self.assertEqual(data[0].body, b"\x01reboot")
        self.assertNotIn("tag", data[1].meta)
        self.assertEqual(data[1].body, b"")
        self.assertNotEqual(data[0].meta["seq"], data[1].meta["seq"])
        producer.close()
        self.assertTrue(hub.wait_until(lambda: hub.count("BYE") == 1))
        with self.assertRaises(mp.PeerError):
            producer.send("DEVICE_CMD", b"late")
        self.assertNoViolations(hub)
        self.assertEqual(self.problems, [])

    def test_error_raises_hub_error_matched_by_seq(self) -> None:
        def reply(meta: dict[str, Any], body: bytes) -> list[Frames]:
            if meta["properties"].get("qoslevel") == "5":
                return [
                    frames("ACK", {"seq": meta["seq"] + 1000, "msgId": "someone else"}),  # unknown seq
                    frames("ERROR", {"seq": meta["seq"], "code": "invalid_qos", "message": "qoslevel '5' must be 0, 1 or 2"}),
                ]
            return [frames("ACK", {"seq": meta["seq"], "msgId": "M-ok"})]

        hub = self.hub(producer_reply=reply)
        producer = self.producer(hub)
        with self.assertRaises(mp.HubError) as ctx:
            producer.send("DEVICE_CMD", b"x", properties={"qoslevel": "5"})
        error = ctx.exception
        self.assertEqual(error.code, "invalid_qos")
        self.assertEqual(error.message, "qoslevel '5' must be 0, 1 or 2")
        self.assertEqual(error.seq, hub.received("DATA")[0].meta["seq"])
        self.assertEqual(producer.send("DEVICE_CMD", b"y"), "M-ok")
        self.assertEqual(len(self.problems), 1, self.problems)
        self.assertIn("not in flight", self.problems[0])

    def test_malformed_replies_are_skipped(self) -> None:
        def reply(meta: dict[str, Any], body: bytes) -> list[Frames]:
            return [
                [b"MQB1", b"ACK", b"not json"],
                frames("ACK", {"seq": "one"}),
                frames("DATA", {"seq": 1, "topic": "X"}, b"?"),
                frames("ACK", {"seq": meta["seq"], "msgId": "M-1"}),
            ]

        hub = self.hub(producer_reply=reply)
        producer = self.producer(hub)
        self.assertEqual(producer.send("DEVICE_CMD", b"x"), "M-1")
        self.assertEqual(len(self.problems), 3, self.problems)
        self.assertTrue(hub.wait_until(lambda: hub.count("ERROR") == 2))
        self.assertEqual([e.meta["code"] for e in hub.received("ERROR")], ["malformed_frame", "malformed_frame"])

    def test_send_times_out(self) -> None:
        hub = self.hub(producer_reply=lambda meta, body: [])
        producer = self.producer(hub)
        start = time.monotonic()
        with self.assertRaises(mp.SendTimeout):
            producer.send("DEVICE_CMD", b"x", timeout=0.3)
        self.assertLess(time.monotonic() - start, WAIT)
        self.assertEqual(hub.count("DATA"), 1)

    def test_window_limits_messages_in_flight(self) -> None:
        held: list[int] = []
        hub = self.hub(producer_reply=lambda meta, body: held.append(meta["seq"]) or [])
        producer = self.producer(hub, window=2)
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda: results.append(producer.send("DEVICE_CMD", b"x", timeout=WAIT)))
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        self.assertTrue(hub.wait_until(lambda: hub.count("DATA") == 2))
        self.assertFalse(hub.wait_until(lambda: hub.count("DATA") > 2, 0.2), "more than the window in flight")
        identity = hub.only_identity()
        for seq in list(held):
            hub.inject(frames("ACK", {"seq": seq, "msgId": f"H-{seq}"}), identity)
        self.assertTrue(hub.wait_until(lambda: len(held) == 3))
        hub.inject(frames("ACK", {"seq": held[2], "msgId": f"H-{held[2]}"}), identity)
        for t in threads:
            t.join(WAIT)
        self.assertEqual(sorted(results), sorted(f"H-{s}" for s in held))

    def test_bad_arguments_are_refused_locally(self) -> None:
        hub = self.hub()
        producer = self.producer(hub)
        with self.assertRaises(TypeError):
            producer.send("T", "text, not bytes")  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            producer.send("T", b"x", keys="abc")
        with self.assertRaises(TypeError):
            producer.send("T", b"x", properties={"qoslevel": 1})  # type: ignore[dict-item]
        with self.assertRaises(ValueError):
            producer.send("", b"x")
        self.assertEqual(hub.count("DATA"), 0)


class CommandLineTests(HubTestCase):
    def run_cli(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=timeout
        )

    def test_consume_count(self) -> None:
        hub = self.hub()
        hub.deliver({"topic": "SENSOR_DATA", "tag": "temp", "keys": ["k"], "properties": {"a": "b"}}, b"21.5")
        hub.deliver({"topic": "SENSOR_DATA"}, b"\x80")
        hub.deliver({"topic": "SENSOR_DATA"}, b"not printed")
        done = self.run_cli("consume", "--endpoint", hub.endpoint, "--topic", "SENSOR_DATA",
                            "--tags", "temp", "--group", "g", "--count", "2", "--window", "2")
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(
            json.loads(lines[0]),
            {"topic": "SENSOR_DATA", "tag": "temp", "keys": ["k"], "properties": {"a": "b"},
             "body": "21.5", "msgId": "ID-1", "bornTimestamp": 1795297490001},
        )
        self.assertEqual(json.loads(lines[1])["bodyBase64"], "gA==")
        self.assertEqual(list(json.loads(lines[0])), sorted(json.loads(lines[0])))
        self.assertTrue(hub.wait_until(lambda: hub.count("BYE") == 1))
        self.assertEqual(hub.acked, [1, 2])
        hello = hub.received("HELLO")[0].meta
        self.assertEqual((hello["tags"], hello["group"], hello["window"]), ("temp", "g", 2))
        self.assertNoViolations(hub)

    def test_consume_idle_timeout(self) -> None:
        hub = self.hub()
        hub.deliver({"topic": "SENSOR_DATA"}, b"only")
        start = time.monotonic()
        done = self.run_cli("consume", "--endpoint", hub.endpoint, "--topic", "SENSOR_DATA", "--timeout", "0.5")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual([json.loads(l)["body"] for l in done.stdout.splitlines()], ["only"])
        self.assertLess(time.monotonic() - start, 15)

    def test_produce_ack(self) -> None:
        hub = self.hub()
        done = self.run_cli("produce", "--endpoint", hub.endpoint, "--topic", "DEVICE_CMD", "--tag", "cmd",
                            "--key", "k1", "--key", "k2", "--property", "qoslevel=1", "--property", "x=a=b",
                            "--body", "reboot")
        self.assertEqual(done.returncode, 0, done.stderr)
        (data,) = hub.received("DATA")
        self.assertEqual(done.stdout.strip(), f"MSG-{data.meta['seq']}")
        self.assertEqual(
            {k: v for k, v in data.meta.items() if k != "seq"},
            {"topic": "DEVICE_CMD", "tag": "cmd", "keys": ["k1", "k2"], "properties": {"qoslevel": "1", "x": "a=b"}},
        )
        self.assertEqual(data.body, b"reboot")
        self.assertTrue(hub.wait_until(lambda: hub.count("BYE") == 1))

    def test_produce_error_and_timeout(self) -> None:
        hub = self.hub(producer_reply=lambda meta, body: [
            frames("ERROR", {"seq": meta["seq"], "code": "tag_not_accepted", "message": "tag 'x' is not accepted"})
        ])
        done = self.run_cli("produce", "--endpoint", hub.endpoint, "--topic", "T", "--tag", "x", "--body", "b")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, "")
        self.assertIn("tag_not_accepted: tag 'x' is not accepted", done.stderr)

        silent = self.hub(producer_reply=lambda meta, body: [])
        done = self.run_cli("produce", "--endpoint", silent.endpoint, "--topic", "T", "--body", "b", "--timeout", "0.3")
        self.assertEqual(done.returncode, 1)
        self.assertIn("timeout", done.stderr)

        nobody = self.hub(welcome=False)
        done = self.run_cli("produce", "--endpoint", nobody.endpoint, "--topic", "T", "--body", "b",
                            "--connect-timeout", "0.3")
        self.assertEqual(done.returncode, 1)
        self.assertIn("no WELCOME", done.stderr)


if __name__ == "__main__":
    unittest.main()
