#!/usr/bin/python3
"""A Python peer for the mqbridge hub, written from ``docs/wire-protocol.md`` alone.

The hub talks to its peers over ZeroMQ: the hub binds a ROUTER socket, each peer connects one DEALER
socket per role, and every message has three or four frames::

    frame 0  b"MQB1"                 protocol tag (mqbridge, version 1)
    frame 1  b"HELLO", b"DATA", ...  the kind
    frame 2  one UTF-8 JSON object   the metadata ({} when there is nothing to say)
    frame 3  raw bytes               the body, DATA only (always present, possibly empty)

This module provides two queue-side peers:

* :class:`Consumer` connects to the hub's ``queue.publish`` endpoint and receives queue-side
  messages (``DATA``), acknowledging each one (``ACK``) once the caller has it;
* :class:`Producer` connects to the hub's ``queue.accept`` endpoint and sends queue-side messages,
  waiting for the hub's ``ACK`` (which names the message with a ``msgId``) or ``ERROR``.

Both say ``HELLO`` and wait for ``WELCOME``, send ``PING`` every ``heartbeatMs`` (from ``WELCOME``),
answer the hub's ``PING`` with ``PONG``, and say ``BYE`` when closed. Each peer runs one background
I/O thread that owns its socket, so heartbeats keep flowing while the caller is busy; the public
methods may be called from any thread.

Messages from the hub are validated as the protocol says. A malformed one (another protocol tag, an
unknown kind, the wrong number of frames, metadata that is not a JSON object of the documented
shape) is reported (by default on standard error), answered with ``ERROR`` as the protocol asks, and
skipped; it never stops the peer. A well-formed message that makes no sense here (for instance an
``ACK`` sent to a consumer) is reported and skipped.

It is also a command-line tool; run ``python3 mqbridge_peer.py --help``.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import os
import queue
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import zmq

__all__ = [
    "PROTOCOL_TAG",
    "KINDS",
    "MAX_WINDOW",
    "PeerError",
    "HubError",
    "HandshakeTimeout",
    "SendTimeout",
    "ProtocolError",
    "FrameError",
    "Message",
    "Delivery",
    "encode",
    "decode",
    "Consumer",
    "Producer",
    "main",
]

PROTOCOL_TAG: bytes = b"MQB1"
"""Frame 0 of every message: protocol mqbridge, version 1."""

KINDS: frozenset[str] = frozenset(
    {"HELLO", "WELCOME", "DATA", "ACK", "ERROR", "CREDIT", "PING", "PONG", "BYE"}
)
"""Every kind (frame 1) version 1 of the protocol knows."""

MAX_WINDOW: int = 100_000
"""The largest window a peer may announce in ``HELLO`` or ``CREDIT``."""

SEQ_LIMIT: int = 2**53
"""Sequence numbers stay below this (they must survive a round trip through a JSON double)."""

Reporter = Callable[[str], None]
"""Receives one line of text for each problem the peer notices (malformed message, hub error...)."""


# ----------------------------------------------------------------------------------------------
# Errors


class PeerError(Exception):
    """Base class of every error this module raises."""


class HubError(PeerError):
    """The hub answered ``ERROR``: ``code`` is its machine-readable code, ``message`` its text.

    ``seq`` is the sequence number of the ``DATA`` the error settles, or ``None`` for an error about
    the connection (``bad_hello``, ``no_hello``, ...).
    """

    def __init__(self, code: str, message: str, seq: Optional[int] = None) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.seq = seq


class HandshakeTimeout(PeerError, TimeoutError):
    """The hub did not answer ``HELLO`` with ``WELCOME`` in time."""


class SendTimeout(PeerError, TimeoutError):
    """A ``DATA`` sent by a producer was neither acknowledged nor refused in time."""


class ProtocolError(PeerError):
    """The hub said something that breaks the protocol and cannot simply be skipped."""


class FrameError(Exception):
    """A received message is not valid at the frame level.

    ``code`` is the connection error code the protocol prescribes for it (``unsupported_version``,
    ``unknown_kind`` or ``malformed_frame``); ``kind`` is frame 1 as text when it could be read.
    """

    def __init__(self, code: str, detail: str, kind: Optional[str] = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.kind = kind


# ----------------------------------------------------------------------------------------------
# Frames


@dataclass(frozen=True)
class Message:
    """One decoded protocol message: its kind, its metadata and (``DATA`` only) its body."""

    kind: str
    meta: dict[str, Any]
    body: Optional[bytes] = None


def encode(kind: str, meta: Optional[Mapping[str, Any]] = None, body: Optional[bytes] = None) -> list[bytes]:
    """Return the frames of one message. ``body`` is required for ``DATA`` and refused otherwise."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if (kind == "DATA") != (body is not None):
        raise ValueError("a body goes with DATA, and only with DATA")
    text = json.dumps(dict(meta or {}), separators=(",", ":"), ensure_ascii=False)
    frames = [PROTOCOL_TAG, kind.encode("ascii"), text.encode("utf-8")]
    if body is not None:
        frames.append(bytes(body))
    return frames


def is_seq(value: Any) -> bool:
    """True if ``value`` is a valid sequence number: a JSON integer in ``0 ..< 2^53``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < SEQ_LIMIT


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(frames: Sequence[bytes]) -> Message:
    """Decode and validate one received message; raise :class:`FrameError` if it is invalid.

    Checks, in this order: the protocol tag (``unsupported_version``), the kind (``unknown_kind``),
    the number of frames (four for ``DATA``, three otherwise) and the metadata (a UTF-8 JSON object
    with the members the kind requires: ``malformed_frame``). A missing frame 0 or 1 reads as empty
    for the first two checks: no frame at all is ``unsupported_version``, ``MQB1`` alone
    ``unknown_kind``. ``DATA`` members are not checked here because they depend on the link (queue
    form or MQTT form); see :class:`Consumer`.
    """
    frames = [bytes(f) for f in frames]
    if not frames or frames[0] != PROTOCOL_TAG:
        if not frames:
            raise FrameError(
                "unsupported_version", f"the message has no frames; frame 0 must be {PROTOCOL_TAG!r}"
            )
        raise FrameError("unsupported_version", f"protocol tag {frames[0][:16]!r}, expected {PROTOCOL_TAG!r}")
    if len(frames) < 2:
        raise FrameError("unknown_kind", "the message has no kind (frame 1)")
    try:
        kind = frames[1].decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("unknown_kind", f"kind {frames[1][:32]!r} is not an ASCII word") from None
    if kind not in KINDS:
        raise FrameError("unknown_kind", f"unknown kind {kind[:32]!r}", kind)
    expected = 4 if kind == "DATA" else 3
    if len(frames) != expected:
        raise FrameError(
            "malformed_frame", f"{kind} has {expected} frames, got {len(frames)}", kind
        )
    try:
        meta = json.loads(frames[2].decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError("malformed_frame", f"{kind} metadata is not UTF-8 JSON ({exc})", kind) from None
    if not isinstance(meta, dict):
        raise FrameError(
            "malformed_frame", f"{kind} metadata is a JSON {type(meta).__name__}, not an object", kind
        )
    problem = _shape_problem(kind, meta)
    if problem is not None:
        raise FrameError("malformed_frame", f"{kind} metadata: {problem}", kind)
    return Message(kind, meta, frames[3] if kind == "DATA" else None)


def _shape_problem(kind: str, meta: Mapping[str, Any]) -> Optional[str]:
    """What is wrong with the metadata of a non-DATA kind, or None. Unknown members are ignored."""
    if kind == "WELCOME":
        if not isinstance(meta.get("session"), str):
            return "'session' must be a string"
        hb = meta.get("heartbeatMs")
        if not _is_int(hb) or hb <= 0:
            return "'heartbeatMs' must be a positive integer"
    elif kind == "ACK":
        if not is_seq(meta.get("seq")):
            return "'seq' must be an integer in 0..2^53-1"
        if "msgId" in meta and not isinstance(meta["msgId"], str):
            return "'msgId' must be a string"
    elif kind == "ERROR":
        if not isinstance(meta.get("code"), str):
            return "'code' must be a string"
        if "message" in meta and not isinstance(meta["message"], str):
            return "'message' must be a string"
        if "seq" in meta and not is_seq(meta["seq"]):
            return "'seq' must be an integer in 0..2^53-1"
    elif kind == "CREDIT":
        window = meta.get("window")
        if not _is_int(window) or not 1 <= window <= MAX_WINDOW:
            return f"'window' must be an integer in 1..{MAX_WINDOW}"
    return None


class Delivery(dict):  # type: ignore[type-arg]
    """A queue-side message received by a :class:`Consumer`.

    It is a plain ``dict`` with the members ``topic``, ``tag`` (only when the message has one),
    ``keys`` (list of str), ``properties`` (dict), ``body`` (str, when the body is valid UTF-8) or
    ``bodyBase64`` (otherwise), ``msgId`` and ``bornTimestamp`` (milliseconds, as set by the hub; None
    if the hub left them out). The hub's sequence number, needed to acknowledge it, is the ``seq``
    attribute, so ``json.dumps(delivery)`` shows only the message.
    """

    seq: int

    def __init__(self, seq: int, fields: Mapping[str, Any]) -> None:
        super().__init__(fields)
        self.seq = seq

    @property
    def body_bytes(self) -> bytes:
        """The body as raw bytes, whichever member holds it."""
        if "body" in self:
            return str(self["body"]).encode("utf-8")
        return base64.b64decode(self["bodyBase64"])


def queue_data_to_delivery(meta: Mapping[str, Any], body: bytes) -> Delivery:
    """Turn the metadata and body of a queue-side ``DATA`` into a :class:`Delivery`.

    Raises ``ValueError`` naming the first member that is missing or of the wrong type.
    Required: ``seq`` and ``topic``. Optional: ``tag`` (str; left out when there is none), ``keys``
    (list of str, default []), ``properties`` (object of str to str, default {}), ``msgId`` (str)
    and ``bornTimestamp`` (integer).
    """
    seq = meta.get("seq")
    if not is_seq(seq):
        raise ValueError("'seq' must be an integer in 0..2^53-1")
    topic = meta.get("topic")
    if not isinstance(topic, str) or not topic:
        raise ValueError("'topic' must be a non-empty string")
    fields: dict[str, Any] = {"topic": topic}
    tag = meta.get("tag")
    if tag is not None:
        if not isinstance(tag, str):
            raise ValueError("'tag' must be a string")
        fields["tag"] = tag
    keys = meta.get("keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError("'keys' must be a list of strings")
    fields["keys"] = list(keys)
    props = meta.get("properties", {})
    if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
        raise ValueError("'properties' must be an object of strings")
    fields["properties"] = dict(props)
    try:
        fields["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        fields["bodyBase64"] = base64.b64encode(body).decode("ascii")
    msg_id = meta.get("msgId")
    if msg_id is not None and not isinstance(msg_id, str):
        raise ValueError("'msgId' must be a string")
    fields["msgId"] = msg_id
    born = meta.get("bornTimestamp")
    if born is not None and not _is_int(born):
        raise ValueError("'bornTimestamp' must be an integer")
    fields["bornTimestamp"] = born
    return Delivery(seq, fields)


def _stderr_reporter(text: str) -> None:
    print(f"mqbridge_peer: {text}", file=sys.stderr, flush=True)


def _default_name(role: str) -> str:
    return f"{role}-py-{socket.gethostname()}-{os.getpid()}"


def _check_window(window: int) -> int:
    if not _is_int(window) or not 1 <= window <= MAX_WINDOW:
        raise ValueError(f"window must be an integer in 1..{MAX_WINDOW}, got {window!r}")
    return window


# ----------------------------------------------------------------------------------------------
# The connection shared by both roles


class _Peer:
    """One DEALER connection to the hub, driven by a background I/O thread.

    The I/O thread alone touches the socket. Callers hand it frames through ``_enqueue`` (a locked
    deque plus a wake-up pipe), and it hands role-specific messages to ``_on_message``.
    """

    role: str = ""

    def __init__(
        self,
        endpoint: str,
        hello: dict[str, Any],
        *,
        handshake_timeout: float,
        on_problem: Optional[Reporter],
        linger_ms: int,
        context: Optional[zmq.Context[Any]],
    ) -> None:
        self.endpoint = endpoint
        self._hello = hello
        self._report: Reporter = on_problem or _stderr_reporter
        self._lock = threading.Lock()
        self._outbox: collections.deque[list[bytes]] = collections.deque()
        self._closing = False
        self._closed = False
        self._fatal: Optional[PeerError] = None
        self._handshake = threading.Event()
        self._awaiting_welcome = True
        self._session: Optional[str] = None
        self._heartbeat_s: Optional[float] = None
        self._next_ping = 0.0
        self._last_heard = time.monotonic()
        self._hub_alive = True
        self._linger_ms = linger_ms
        self._sock = (context or zmq.Context.instance()).socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, linger_ms)
        try:
            self._sock.connect(endpoint)
        except zmq.ZMQError as exc:
            self._sock.close(0)
            raise PeerError(f"cannot connect to {endpoint!r}: {exc}") from None
        self._wake_r, self._wake_w = os.pipe()
        self._outbox.append(encode("HELLO", hello))
        self._thread = threading.Thread(
            target=self._run, name=f"mqbridge-{self.role}-io", daemon=True
        )
        self._thread.start()
        if not self._handshake.wait(handshake_timeout):
            self.close()
            raise HandshakeTimeout(
                f"no WELCOME from the hub at {endpoint} within {handshake_timeout:g} s "
                f"(is the hub running, and is this its {self.role} endpoint?)"
            )
        if self._fatal is not None:
            fatal = self._fatal
            self.close()
            raise fatal

    # -- public state -------------------------------------------------------------------------

    @property
    def session(self) -> Optional[str]:
        """The session id from the hub's last ``WELCOME``."""
        return self._session

    @property
    def heartbeat_ms(self) -> Optional[int]:
        """The heartbeat period from the hub's last ``WELCOME``, in milliseconds."""
        return None if self._heartbeat_s is None else round(self._heartbeat_s * 1000)

    @property
    def hub_alive(self) -> bool:
        """False once the hub has been silent for three heartbeats (until it is heard again)."""
        return self._hub_alive

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closing

    def close(self, timeout: float = 2.0) -> None:
        """Say ``BYE``, stop the I/O thread and close the socket. Calling it again does nothing."""
        with self._lock:
            if self._closing:
                return
            self._outbox.append(encode("BYE"))
            self._closing = True
        self._wake()
        self._thread.join(timeout)
        with self._lock:
            self._closed = True
        self._on_closed()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "_Peer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for subclasses -----------------------------------------------------------------------

    def _on_message(self, msg: Message) -> None:
        """Handle a valid DATA or ACK or CREDIT or BYE or HELLO (I/O thread)."""
        self._unexpected(msg)

    def _on_settle_error(self, seq: int, code: str, message: str) -> None:
        """Handle an ERROR that settles the DATA numbered ``seq`` (I/O thread)."""
        self._report(f"hub ERROR {code} for seq {seq}, which this {self.role} never sent: {message}")

    def _on_fatal(self, error: PeerError) -> None:
        """The connection is unusable; wake every waiter with ``error`` (I/O thread)."""

    def _on_closed(self) -> None:
        """The peer is closed; wake every waiter (caller's thread)."""

    def _unexpected(self, msg: Message) -> None:
        self._report(f"skipped an unexpected {msg.kind} from the hub on a {self.role} link: {msg.meta}")

    def _enqueue(self, frames: list[bytes]) -> None:
        """Queue frames for the I/O thread to send. Raises PeerError if the peer is closed."""
        with self._lock:
            self._check_open()
            self._outbox.append(frames)
        self._wake()

    def _check_open(self) -> None:
        if self._closing:
            raise PeerError(f"this {self.role} is closed")
        if self._fatal is not None:
            raise self._fatal

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except OSError:
            pass

    # -- the I/O thread -----------------------------------------------------------------------

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        try:
            while True:
                for item, _ in poller.poll(self._poll_timeout_ms()):
                    if item == self._wake_r:
                        os.read(self._wake_r, 4096)
                stalled = self._flush()
                self._receive_all()
                self._timers()
                with self._lock:
                    if self._closing and (not self._outbox or stalled):
                        break
        except Exception as exc:  # never die silently
            error = PeerError(f"the {self.role} I/O thread failed: {exc!r}")
            self._report(str(error))
            self._fail(error)
        finally:
            self._sock.close(self._linger_ms)

    def _poll_timeout_ms(self) -> int:
        with self._lock:
            if self._outbox:
                return 20  # the socket was full: retry soon
        if self._heartbeat_s is None:
            return 1000
        now = time.monotonic()
        deadline = min(self._next_ping, self._last_heard + 3 * self._heartbeat_s)
        return max(0, min(1000, int((deadline - now) * 1000) + 1))

    def _flush(self) -> bool:
        """Send queued frames; return True if the socket could not take them all."""
        while True:
            with self._lock:
                if not self._outbox:
                    return False
                frames = self._outbox[0]
            try:
                self._sock.send_multipart(frames, flags=zmq.NOBLOCK)
            except zmq.Again:
                return True
            with self._lock:
                self._outbox.popleft()

    def _send_now(self, frames: list[bytes]) -> None:
        """Queue frames from the I/O thread itself (no wake-up needed: it flushes every turn)."""
        with self._lock:
            self._outbox.append(frames)

    def _receive_all(self) -> None:
        while True:
            try:
                frames = self._sock.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            self._handle(frames)

    def _timers(self) -> None:
        if self._heartbeat_s is None or self._closing:
            return
        now = time.monotonic()
        if now >= self._next_ping:
            self._send_now(encode("PING"))
            self._next_ping = now + self._heartbeat_s
        if self._hub_alive and now - self._last_heard > 3 * self._heartbeat_s:
            self._hub_alive = False
            self._report(
                f"the hub at {self.endpoint} has been silent for three heartbeats "
                f"({3 * self._heartbeat_s:g} s); considering it gone until it is heard again"
            )

    def _handle(self, frames: list[bytes]) -> None:
        self._last_heard = time.monotonic()
        if not self._hub_alive:
            self._hub_alive = True
            self._report(f"the hub at {self.endpoint} is heard again")
        try:
            msg = decode(frames)
        except FrameError as exc:
            self._report(f"skipped a malformed message from the hub ({exc.code}): {exc.detail}")
            if exc.kind != "ERROR":  # never answer an ERROR with an ERROR: no error ping-pong
                self._send_now(encode("ERROR", {"code": exc.code, "message": exc.detail}))
            return
        if msg.kind == "PING":
            self._send_now(encode("PONG"))
        elif msg.kind == "PONG":
            pass
        elif msg.kind == "WELCOME":
            self._on_welcome(msg.meta)
        elif msg.kind == "ERROR":
            self._on_error(msg.meta)
        else:
            self._on_message(msg)

    def _on_welcome(self, meta: Mapping[str, Any]) -> None:
        if not self._awaiting_welcome:
            self._report(f"skipped a WELCOME the {self.role} did not ask for: {dict(meta)}")
            return
        self._awaiting_welcome = False
        self._session = meta["session"]
        self._heartbeat_s = meta["heartbeatMs"] / 1000.0
        self._next_ping = time.monotonic() + self._heartbeat_s
        self._handshake.set()

    def _on_error(self, meta: Mapping[str, Any]) -> None:
        code: str = meta["code"]
        message: str = meta.get("message", "")
        seq = meta.get("seq")
        if code == "no_hello" and not self._awaiting_welcome and not self._closing:
            # The hub does not know this peer (it restarted): a second HELLO reconnects.
            self._report(f"the hub does not know this {self.role} (no_hello: {message}); saying HELLO again")
            self._awaiting_welcome = True
            self._send_now(encode("HELLO", self._hello))
        if seq is not None:
            self._on_settle_error(seq, code, message)
            return
        if code == "bad_hello" and self._awaiting_welcome:
            error = HubError(code, message)
            self._report(f"the hub refused HELLO: {error}")
            self._fail(error)
            return
        if code != "no_hello":
            self._report(f"hub ERROR {code}: {message}")

    def _fail(self, error: PeerError) -> None:
        with self._lock:
            if self._fatal is None:
                self._fatal = error
        self._handshake.set()
        self._on_fatal(error)


# ----------------------------------------------------------------------------------------------
# Consumer


class Consumer(_Peer):
    """Receives queue-side messages from the hub's consumer endpoint (``queue.publish``).

    Connecting says ``HELLO`` (role ``consumer``) and waits up to ``handshake_timeout`` seconds for
    ``WELCOME``; :class:`HandshakeTimeout` or :class:`HubError` (``bad_hello``) is raised otherwise.

    Receive with :meth:`receive` and acknowledge with :meth:`ack`, or iterate: the iterator
    acknowledges each message once the caller has it (when it asks for the next one, or stops)::

        with Consumer("tcp://127.0.0.1:5601", "SENSOR_DATA", tags="temp||hum") as consumer:
            for message in consumer:
                print(message["topic"], message.get("tag"), message["body"])

    The hub never sends more than ``window`` unacknowledged messages; :meth:`set_window` changes it.
    Problems (malformed messages, errors the hub reports) go to ``on_problem`` (default: stderr).
    """

    role = "consumer"

    def __init__(
        self,
        endpoint: str,
        topic: str,
        tags: str = "*",
        group: Optional[str] = None,
        window: int = 100,
        name: Optional[str] = None,
        *,
        handshake_timeout: float = 5.0,
        on_problem: Optional[Reporter] = None,
        linger_ms: int = 200,
        context: Optional[zmq.Context[Any]] = None,
    ) -> None:
        if not isinstance(topic, str) or not topic:
            raise ValueError("topic must be a non-empty string")
        self._window = _check_window(window)
        self._unacked: set[int] = set()
        self._inbound: queue.Queue[Union[Delivery, PeerError]] = queue.Queue()
        hello: dict[str, Any] = {
            "role": "consumer",
            "name": name or _default_name("consumer"),
            "topic": topic,
            "tags": tags,
            "window": window,
        }
        if group is not None:
            hello["group"] = group
        super().__init__(
            endpoint,
            hello,
            handshake_timeout=handshake_timeout,
            on_problem=on_problem,
            linger_ms=linger_ms,
            context=context,
        )

    @property
    def window(self) -> int:
        """How many unacknowledged messages the hub may send this consumer."""
        return self._window

    @property
    def unacked(self) -> int:
        """How many received messages are not acknowledged yet."""
        with self._lock:
            return len(self._unacked)

    def receive(self, timeout: Optional[float] = None) -> Optional[Delivery]:
        """Return the next message, or None if none came within ``timeout`` seconds (None: wait).

        The message is not acknowledged: call :meth:`ack` once it is processed. Raises
        :class:`PeerError` if the consumer is closed, or :class:`HubError` if the hub refused it.
        """
        self._check_open()
        try:
            item = self._inbound.get(timeout=None if timeout is None else max(0.0, timeout))
        except queue.Empty:
            return None
        if isinstance(item, PeerError):
            self._inbound.put(item)  # every later call fails the same way
            raise item
        return item

    def ack(self, message: Union[Delivery, int]) -> bool:
        """Acknowledge a message (or its ``seq``): send ``ACK``, returning one unit of the window.

        Returns False, sending nothing, if it is already acknowledged, unknown, or the consumer is
        closed.
        """
        seq = message.seq if isinstance(message, Delivery) else message
        with self._lock:
            if self._closing or seq not in self._unacked:
                return False
            self._unacked.discard(seq)
            self._outbox.append(encode("ACK", {"seq": seq}))
        self._wake()
        return True

    def messages(self, idle_timeout: Optional[float] = None, count: Optional[int] = None) -> Iterator[Delivery]:
        """Yield messages, acknowledging each once the caller has it.

        A message is acknowledged when the caller asks for the next one or stops iterating (break,
        exception, close). Stops after ``count`` messages, or when none arrives for ``idle_timeout``
        seconds. Use :meth:`receive` and :meth:`ack` to acknowledge only after successful processing.
        """
        received = 0
        while count is None or received < count:
            message = self.receive(idle_timeout)
            if message is None:
                return
            received += 1
            try:
                yield message
            finally:
                self.ack(message)

    def __iter__(self) -> Iterator[Delivery]:
        return self.messages()

    def set_window(self, window: int) -> None:
        """Send ``CREDIT``: from now on the hub may send up to ``window`` unacknowledged messages."""
        _check_window(window)
        with self._lock:
            self._check_open()
            self._window = window
            self._hello["window"] = window  # a later HELLO (reconnection) keeps it
            self._outbox.append(encode("CREDIT", {"window": window}))
        self._wake()

    def __enter__(self) -> "Consumer":
        return self

    # -- I/O thread ---------------------------------------------------------------------------

    def _on_message(self, msg: Message) -> None:
        if msg.kind != "DATA":
            self._unexpected(msg)
            return
        assert msg.body is not None
        try:
            delivery = queue_data_to_delivery(msg.meta, msg.body)
        except ValueError as exc:
            seq = msg.meta.get("seq")
            self._report(f"skipped a malformed DATA from the hub: {exc}")
            if is_seq(seq):
                self._send_now(encode("ERROR", {"seq": seq, "code": "malformed_message", "message": str(exc)}))
            else:
                self._send_now(encode("ERROR", {"code": "malformed_frame", "message": f"DATA metadata: {exc}"}))
            return
        with self._lock:
            if delivery.seq in self._unacked:
                duplicate = True
            else:
                duplicate = False
                if len(self._unacked) >= self._window:
                    self._report(
                        f"the hub exceeded the window: DATA seq {delivery.seq} arrived with "
                        f"{len(self._unacked)} unacknowledged (window {self._window}); delivering it anyway"
                    )
                self._unacked.add(delivery.seq)
        if duplicate:
            self._report(f"skipped a DATA whose seq {delivery.seq} is already unacknowledged")
            return
        self._inbound.put(delivery)

    def _on_fatal(self, error: PeerError) -> None:
        self._inbound.put(error)

    def _on_closed(self) -> None:
        self._inbound.put(PeerError("this consumer is closed"))


# ----------------------------------------------------------------------------------------------
# Producer


@dataclass
class _Pending:
    seq: int
    done: threading.Event = field(default_factory=threading.Event)
    msg_id: Optional[str] = None
    error: Optional[PeerError] = None
    abandoned: bool = False


class Producer(_Peer):
    """Sends queue-side messages to the hub's producer endpoint (``queue.accept``).

    Connecting says ``HELLO`` (role ``producer``) and waits for ``WELCOME`` like :class:`Consumer`.
    :meth:`send` blocks until the hub settles the message and returns its ``msgId``::

        with Producer("tcp://127.0.0.1:5602") as producer:
            msg_id = producer.send("DEVICE_CMD", b"reboot", tag="cmd", keys=["dev-001"],
                                   properties={"qoslevel": "1"})

    It may be called from several threads at once; at most ``window`` messages are in flight.
    """

    role = "producer"

    def __init__(
        self,
        endpoint: str,
        window: int = 100,
        name: Optional[str] = None,
        *,
        handshake_timeout: float = 5.0,
        on_problem: Optional[Reporter] = None,
        linger_ms: int = 200,
        context: Optional[zmq.Context[Any]] = None,
    ) -> None:
        self._window = _check_window(window)
        self._slots = threading.BoundedSemaphore(window)
        self._pending: dict[int, _Pending] = {}
        self._next_seq = 1
        hello = {"role": "producer", "name": name or _default_name("producer"), "window": window}
        super().__init__(
            endpoint,
            hello,
            handshake_timeout=handshake_timeout,
            on_problem=on_problem,
            linger_ms=linger_ms,
            context=context,
        )

    def send(
        self,
        topic: str,
        body: bytes,
        tag: Optional[str] = None,
        keys: Iterable[str] = (),
        properties: Optional[Mapping[str, str]] = None,
        timeout: float = 10.0,
    ) -> str:
        """Send one message and wait for the hub to settle it; return the ``msgId`` of its ``ACK``.

        Raises :class:`HubError` (with the hub's ``code``, ``message`` and ``seq``) if the hub
        refuses it, :class:`SendTimeout` if neither came within ``timeout`` seconds (the message may
        still be published later), :class:`ProtocolError` if the ``ACK`` has no ``msgId``.
        """
        if not isinstance(topic, str) or not topic:
            raise ValueError("topic must be a non-empty string")
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError("body must be bytes")
        if tag is not None and not isinstance(tag, str):
            raise TypeError("tag must be a string or None")
        key_list = list(keys)
        if isinstance(keys, str) or not all(isinstance(k, str) for k in key_list):
            raise TypeError("keys must be an iterable of strings")
        props = dict(properties or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in props.items()):
            raise TypeError("properties must map strings to strings")
        meta: dict[str, Any] = {"topic": topic, "keys": key_list, "properties": props}
        if tag is not None:
            meta["tag"] = tag

        deadline = time.monotonic() + timeout
        self._check_open()
        if not self._slots.acquire(timeout=max(0.0, timeout)):
            raise SendTimeout(f"the window of {self._window} messages stayed full for {timeout:g} s")
        try:
            with self._lock:
                self._check_open()
                seq = self._next_seq
                self._next_seq += 1
                pending = _Pending(seq)
                self._pending[seq] = pending
                self._outbox.append(encode("DATA", {"seq": seq, **meta}, bytes(body)))
        except BaseException:
            self._slots.release()
            raise
        self._wake()
        if not pending.done.wait(max(0.0, deadline - time.monotonic())):
            with self._lock:
                if not pending.done.is_set():
                    pending.abandoned = True
            if pending.abandoned:
                raise SendTimeout(f"no ACK or ERROR from the hub for seq {seq} within {timeout:g} s")
        if pending.error is not None:
            raise pending.error
        assert pending.msg_id is not None
        return pending.msg_id

    def __enter__(self) -> "Producer":
        return self

    # -- I/O thread ---------------------------------------------------------------------------

    def _settle(self, seq: int, msg_id: Optional[str], error: Optional[PeerError], what: str) -> None:
        with self._lock:
            pending = self._pending.pop(seq, None)
            if pending is not None:
                pending.msg_id, pending.error = msg_id, error
                pending.done.set()
        if pending is None:
            self._report(f"skipped a {what} for seq {seq}, which is not in flight")
            return
        self._slots.release()
        if pending.abandoned:
            self._report(f"a {what} for seq {seq} arrived after its send timed out: {error or msg_id}")

    def _on_message(self, msg: Message) -> None:
        if msg.kind != "ACK":
            self._unexpected(msg)
            return
        seq: int = msg.meta["seq"]
        msg_id = msg.meta.get("msgId")
        if msg_id is None:
            self._settle(seq, None, ProtocolError(f"the hub acknowledged seq {seq} without a msgId"), "ACK")
        else:
            self._settle(seq, msg_id, None, "ACK")

    def _on_settle_error(self, seq: int, code: str, message: str) -> None:
        self._settle(seq, None, HubError(code, message, seq), f"ERROR {code}")

    def _fail_all(self, error: PeerError) -> None:
        with self._lock:
            pendings = list(self._pending.values())
            self._pending.clear()
        for pending in pendings:
            pending.error = error
            pending.done.set()
            self._slots.release()

    def _on_fatal(self, error: PeerError) -> None:
        self._fail_all(error)

    def _on_closed(self) -> None:
        self._fail_all(PeerError("this producer was closed before the hub settled the message"))


# ----------------------------------------------------------------------------------------------
# Command line


def _parse_property(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--property wants KEY=VALUE, got {text!r}")
    return key, value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mqbridge_peer.py",
        description="Consume from or produce to an mqbridge hub over its ZeroMQ wire protocol (MQB1).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    consume = sub.add_parser(
        "consume",
        help="print queue-side messages as JSON lines",
        description=(
            "Connect to the hub's consumer endpoint (queue.publish) and print each message as one "
            "JSON line (keys sorted), acknowledging it once printed. Exits 0 after --count messages, "
            "or once no message has arrived for --timeout seconds (an idle timeout: it restarts "
            "with every message), whichever comes first; without either, runs until interrupted."
        ),
    )
    consume.add_argument("--endpoint", required=True, help="the hub's queue.publish endpoint")
    consume.add_argument("--topic", required=True, help="queue topic to subscribe to")
    consume.add_argument("--tags", default="*", help="tag expression, e.g. 'temp||hum' (default *)")
    consume.add_argument("--group", help="consumer group (members share the messages)")
    consume.add_argument("--window", type=int, default=100, help="unacknowledged messages allowed (default 100)")
    consume.add_argument("--name", help="name for the hub's logs")
    consume.add_argument("--count", type=int, help="exit 0 after this many messages")
    consume.add_argument("--timeout", type=float, help="exit 0 after this many seconds without a message")
    consume.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to wait for WELCOME (default 5)")

    produce = sub.add_parser(
        "produce",
        help="send one queue-side message",
        description=(
            "Connect to the hub's producer endpoint (queue.accept), send one message and print its "
            "msgId when the hub acknowledges it (exit 0). If the hub refuses it, print the error code "
            "and message on standard error and exit 1; also exit 1 on a timeout."
        ),
    )
    produce.add_argument("--endpoint", required=True, help="the hub's queue.accept endpoint")
    produce.add_argument("--topic", required=True, help="queue topic")
    produce.add_argument("--tag", help="message tag")
    produce.add_argument("--key", action="append", default=[], help="message key (repeatable)")
    produce.add_argument(
        "--property", action="append", default=[], type=_parse_property, metavar="K=V",
        help="user property (repeatable), e.g. qoslevel=1",
    )
    produce.add_argument("--body", required=True, help="body, sent as UTF-8")
    produce.add_argument("--name", help="name for the hub's logs")
    produce.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for ACK or ERROR (default 10)")
    produce.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to wait for WELCOME (default 5)")
    return parser


def _consume(args: argparse.Namespace) -> int:
    with Consumer(
        args.endpoint, args.topic, tags=args.tags, group=args.group, window=args.window,
        name=args.name, handshake_timeout=args.connect_timeout,
    ) as consumer:
        printed = 0
        while args.count is None or printed < args.count:
            message = consumer.receive(args.timeout)
            if message is None:
                break
            print(json.dumps(message, sort_keys=True, ensure_ascii=False), flush=True)
            consumer.ack(message)
            printed += 1
    return 0


def _produce(args: argparse.Namespace) -> int:
    with Producer(args.endpoint, name=args.name, handshake_timeout=args.connect_timeout) as producer:
        try:
            msg_id = producer.send(
                args.topic, args.body.encode("utf-8"), tag=args.tag, keys=args.key,
                properties=dict(args.property), timeout=args.timeout,
            )
        except HubError as exc:
            print(f"{exc.code}: {exc.message}", file=sys.stderr)
            return 1
        except SendTimeout as exc:
            print(f"timeout: {exc}", file=sys.stderr)
            return 1
    print(msg_id, flush=True)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _build_parser().parse_args(argv)
    try:
        return _consume(args) if args.command == "consume" else _produce(args)
    except HubError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (PeerError, ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
