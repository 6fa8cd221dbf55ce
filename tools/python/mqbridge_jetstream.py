#!/usr/bin/python3
"""Reads and writes NATS JetStream streams with nats-py, independently of the bridge.

The bridge's JetStream side stores queue-side messages in streams and takes commands from them. This
tool looks at those streams the way any other JetStream client would:

* ``dump``     prints every message currently in a stream (subject, headers, body), in sequence order;
* ``publish``  publishes one message with JetStream (headers, ``Nats-Msg-Id``) and prints the PubAck;
* ``streams``  lists the streams the server has.

Every subcommand prints JSON lines on standard output. On failure it prints
``mqbridge_jetstream: <what went wrong>`` on standard error and exits 1 (2 for a bad command line).

It needs nats-py, which ``scripts/install-deps.sh`` installs into the virtual environment
``.build/python-nats``. Run it with that environment's Python, or with ``/usr/bin/python3``: when
nats-py is not importable, the tool runs itself again with ``.build/python-nats/bin/python``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import os
import re
import sys
from typing import Any, Optional, Sequence

try:
    import nats
    import nats.errors
    import nats.js.errors
    from nats.protocol import command as nats_command
except ImportError:  # handled in main(): run again in the project's virtual environment
    nats = None

PROG = "mqbridge_jetstream"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_PYTHON = os.path.join(REPO_ROOT, ".build", "python-nats", "bin", "python")
REEXEC_MARK = "MQBRIDGE_JETSTREAM_REEXEC"

API_PREFIX = "$JS.API"
MSG_ID_HEADER = "Nats-Msg-Id"
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
NO_MESSAGE_ERR_CODE = 10037  # JSNoMessageFoundErr: a deleted (or expired) sequence
STREAM_NOT_FOUND_ERR_CODE = 10059


class Failure(Exception):
    """A failure reported on standard error; the process exits 1."""


# -- helpers -----------------------------------------------------------------------------------


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def parse_header_block(raw: bytes) -> dict[str, list[str]]:
    """Parse a NATS header block (``NATS/1.0\\r\\nName: Value\\r\\n...\\r\\n``).

    Keeps every value of a repeated name, in order, and names exactly as stored (NATS header names
    are case-sensitive). Values are trimmed of surrounding whitespace, as NATS clients do.
    """
    headers: dict[str, list[str]] = {}
    lines = raw.split(b"\r\n")
    if not lines or not lines[0].startswith(b"NATS/"):
        raise Failure(f"malformed header block: {raw[:40]!r}")
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise Failure(f"malformed header line: {line!r}")
        key = name.strip().decode("utf-8", "replace")
        headers.setdefault(key, []).append(value.strip().decode("utf-8", "replace"))
    return headers


def encode_header_block(headers: Sequence[tuple[str, str]]) -> bytes:
    out = bytearray(b"NATS/1.0\r\n")
    for name, value in headers:
        out += name.encode() + b": " + value.encode() + b"\r\n"
    out += b"\r\n"
    return bytes(out)


def parse_header_option(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not HEADER_NAME.fullmatch(name):
        raise argparse.ArgumentTypeError(f"expected Name=Value with a header name of token characters: {text!r}")
    if "\r" in value or "\n" in value:
        raise argparse.ArgumentTypeError(f"a header value may not contain a line break: {text!r}")
    return name, value.strip()


def parse_b64_option(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise argparse.ArgumentTypeError(f"not valid base64: {error}") from None


def api_error(response: dict[str, Any]) -> Optional[dict[str, Any]]:
    error = response.get("error")
    return error if isinstance(error, dict) else None


async def connect(server: str, timeout: float) -> Any:
    errors: list[Exception] = []

    async def remember(error: Exception) -> None:  # reported below, once, instead of logged
        errors.append(error)

    try:
        return await asyncio.wait_for(
            nats.connect(
                servers=[server],
                connect_timeout=timeout,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.1,
                error_cb=remember,
                name=PROG,
            ),
            timeout=timeout + 1,
        )
    except asyncio.TimeoutError:
        why = describe(errors[-1]) if errors else "timed out"
        raise Failure(f"cannot connect to {server}: {why} (after {timeout:g}s)") from None
    except Exception as error:  # nats-py raises several unrelated types here
        why = describe(errors[-1]) if errors else describe(error)
        raise Failure(f"cannot connect to {server}: {why}") from None


def describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def api_request(nc: Any, subject: str, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        reply = await nc.request(subject, json.dumps(request).encode(), timeout=timeout)
    except nats.errors.NoRespondersError:
        raise Failure("JetStream is not enabled on the server (no responders for the JetStream API)") from None
    except nats.errors.TimeoutError:
        raise Failure(f"no answer from the JetStream API within {timeout:g}s ({subject})") from None
    try:
        response = json.loads(reply.data)
    except ValueError:
        raise Failure(f"malformed JetStream API answer on {subject}: {reply.data[:80]!r}") from None
    if not isinstance(response, dict):
        raise Failure(f"malformed JetStream API answer on {subject}: {reply.data[:80]!r}")
    return response


# -- subcommands -------------------------------------------------------------------------------


async def dump(args: argparse.Namespace) -> None:
    nc = await connect(args.server, args.timeout)
    try:
        info = await api_request(nc, f"{API_PREFIX}.STREAM.INFO.{args.stream}", {}, args.timeout)
        error = api_error(info)
        if error:
            if error.get("err_code") == STREAM_NOT_FOUND_ERR_CODE or error.get("code") == 404:
                raise Failure(f"stream {args.stream!r} not found")
            raise Failure(f"stream info for {args.stream!r}: {error.get('description', error)}")
        state = info.get("state", {})
        first, last, stored = state.get("first_seq", 0), state.get("last_seq", 0), state.get("messages", 0)
        count = 0
        if stored:
            for seq in range(first, last + 1):
                response = await api_request(
                    nc, f"{API_PREFIX}.STREAM.MSG.GET.{args.stream}", {"seq": seq}, args.timeout
                )
                error = api_error(response)
                if error:
                    if error.get("err_code") == NO_MESSAGE_ERR_CODE:
                        continue  # deleted, or removed since the stream info
                    raise Failure(f"get message {seq} of {args.stream!r}: {error.get('description', error)}")
                message = response.get("message", {})
                headers = {}
                if message.get("hdrs"):
                    headers = parse_header_block(base64.b64decode(message["hdrs"]))
                body = base64.b64decode(message.get("data") or "")
                try:
                    text: Optional[str] = body.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                emit(
                    {
                        "seq": message.get("seq", seq),
                        "subject": message.get("subject"),
                        "headers": headers,
                        "body_b64": base64.b64encode(body).decode("ascii"),
                        "body_utf8": text,
                    }
                )
                count += 1
        emit({"count": count})
    finally:
        await nc.close()


async def publish(args: argparse.Namespace) -> None:
    headers: list[tuple[str, str]] = list(args.header or [])
    if args.msg_id is not None:
        headers.append((MSG_ID_HEADER, args.msg_id))
    body: bytes = args.body.encode() if args.body is not None else args.body_b64
    names = [name for name, _ in headers]
    nc = await connect(args.server, args.timeout)
    try:
        if len(names) == len(set(names)):
            js = nc.jetstream(timeout=args.timeout)
            try:
                ack = await js.publish(args.subject, body, timeout=args.timeout, headers=dict(headers) or None)
            except nats.js.errors.NoStreamResponseError:
                raise Failure(f"no stream stores subject {args.subject!r}") from None
            except nats.js.errors.APIError as error:
                raise Failure(f"publish to {args.subject!r} refused: {error.description or error}") from None
            except nats.errors.TimeoutError:
                raise Failure(f"no PubAck for {args.subject!r} within {args.timeout:g}s") from None
            emit({"stream": ack.stream, "seq": ack.seq, "duplicate": bool(ack.duplicate)})
        else:
            emit(await publish_repeated_headers(nc, args.subject, headers, body, args.timeout))
    finally:
        await nc.close()


async def publish_repeated_headers(
    nc: Any, subject: str, headers: Sequence[tuple[str, str]], body: bytes, timeout: float
) -> dict[str, Any]:
    """A JetStream publish whose headers repeat a name, which nats-py's dict of headers cannot say.

    A JetStream publish is a request on the subject; the stream answers with the PubAck.
    """
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, max_msgs=1)
    try:
        await nc.flush(timeout=timeout)
        await nc._send_command(nats_command.hpub_cmd(subject, inbox, encode_header_block(headers), body))
        await nc.flush(timeout=timeout)
        try:
            reply = await sub.next_msg(timeout=timeout)
        except nats.errors.TimeoutError:
            raise Failure(f"no PubAck for {subject!r} within {timeout:g}s") from None
    finally:
        try:
            await sub.unsubscribe()
        except Exception:
            pass
    if not reply.data and reply.headers and reply.headers.get("Status") == "503":
        raise Failure(f"no stream stores subject {subject!r}")
    try:
        ack = json.loads(reply.data)
    except ValueError:
        raise Failure(f"malformed PubAck for {subject!r}: {reply.data[:80]!r}") from None
    error = api_error(ack)
    if error:
        raise Failure(f"publish to {subject!r} refused: {error.get('description', error)}")
    return {"stream": ack.get("stream"), "seq": ack.get("seq"), "duplicate": bool(ack.get("duplicate"))}


async def streams(args: argparse.Namespace) -> None:
    nc = await connect(args.server, args.timeout)
    try:
        js = nc.jetstream(timeout=args.timeout)
        try:
            infos = await js.streams_info()
        except nats.errors.NoRespondersError:
            raise Failure("JetStream is not enabled on the server (no responders for the JetStream API)") from None
        except nats.errors.TimeoutError:
            raise Failure(f"no answer from the JetStream API within {args.timeout:g}s") from None
        for info in sorted(infos, key=lambda i: i.config.name):
            emit(
                {
                    "name": info.config.name,
                    "subjects": list(info.config.subjects or []),
                    "replicas": info.config.num_replicas or 1,
                    "messages": info.state.messages,
                }
            )
    finally:
        await nc.close()


# -- command line ------------------------------------------------------------------------------


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds: {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--server", required=True, help="NATS server URL, e.g. nats://127.0.0.1:4222")
        sub.add_argument("--timeout", type=positive, default=5.0, help="seconds for connecting and each request (5)")

    sub = commands.add_parser("dump", help="print every message in a stream as JSON lines, then {\"count\":N}")
    common(sub)
    sub.add_argument("--stream", required=True)
    sub.set_defaults(run=dump)

    sub = commands.add_parser("publish", help="JetStream-publish one message and print its PubAck")
    common(sub)
    sub.add_argument("--subject", required=True)
    sub.add_argument("--header", action="append", type=parse_header_option, metavar="NAME=VALUE",
                     help="a header; repeat for several, or for several values of one name")
    sub.add_argument("--msg-id", help="sets the Nats-Msg-Id header (the stream drops duplicates)")
    body = sub.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", help="the body, as UTF-8 text")
    body.add_argument("--body-b64", type=parse_b64_option, help="the body, base64-encoded")
    sub.set_defaults(run=publish)

    sub = commands.add_parser("streams", help="list the server's streams as JSON lines")
    common(sub)
    sub.set_defaults(run=streams)
    return top


def ensure_nats() -> None:
    """Without nats-py here, run again with the project's virtual environment (once)."""
    if nats is not None:
        return
    if os.environ.get(REEXEC_MARK) != "1" and os.path.exists(VENV_PYTHON):
        os.environ[REEXEC_MARK] = "1"
        os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
    sys.stderr.write(
        f"{PROG}: nats-py is not installed for {sys.executable}; "
        "run scripts/install-deps.sh (it installs it into .build/python-nats)\n"
    )
    sys.exit(1)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    ensure_nats()
    try:
        asyncio.run(args.run(args))
    except Failure as failure:
        sys.stderr.write(f"{PROG}: {failure}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # anything unforeseen: still one line on standard error
        sys.stderr.write(f"{PROG}: {describe(error)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
