#!/usr/bin/env python3
"""Checks the BATCH form of docs/wire-protocol.md against a running hub, with pyzmq alone.

A stand-in MQTT worker on the workers endpoint sends COUNT outflow messages in one BATCH (record BAD without
a topic); a consumer on the publish endpoint that says batchBytes reads what the hub routes, acknowledges it
with one batched ACK, and the worker collects its ACKs and ERRORs. Prints one JSON line: what arrived.

Usage: batch_check.py --workers ENDPOINT --publish ENDPOINT --topic QUEUE_TOPIC --mqtt-topic TOPIC
"""

import argparse
import json
import sys
import time

import zmq

TAG = b"MQB1"


def frames(kind, meta, body=None):
    parts = [TAG, kind.encode(), json.dumps(meta).encode()]
    if body is not None:
        parts.append(body)
    return parts


def records(frame):
    """The records of a BATCH's frame 3, as the protocol document gives them."""
    at = 0
    while at < len(frame):
        m = int.from_bytes(frame[at:at + 4], "big")
        meta = frame[at + 4:at + 4 + m]
        at += 4 + m
        b = int.from_bytes(frame[at:at + 4], "big")
        body = frame[at + 4:at + 4 + b]
        at += 4 + b
        yield json.loads(meta), body


def record(meta, body):
    encoded = json.dumps(meta).encode()
    return len(encoded).to_bytes(4, "big") + encoded + len(body).to_bytes(4, "big") + body


def welcome(sock, hello):
    sock.send_multipart(frames("HELLO", hello))
    deadline = time.time() + 10
    while time.time() < deadline:
        if sock.poll(200):
            parts = sock.recv_multipart()
            if parts[1] == b"WELCOME":
                return json.loads(parts[2])
            if parts[1] == b"ERROR":
                sys.exit("HELLO refused: %s" % parts[2].decode())
    sys.exit("no WELCOME")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", required=True)
    parser.add_argument("--publish", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--mqtt-topic", required=True)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--bad", type=int, default=50)
    args = parser.parse_args()

    context = zmq.Context()
    consumer = context.socket(zmq.DEALER)
    consumer.setsockopt(zmq.LINGER, 0)
    consumer.connect(args.publish)
    welcome(consumer, {"role": "consumer", "name": "py-batch-consumer", "topic": args.topic, "window": 1000,
                       "batchBytes": 131072})
    worker = context.socket(zmq.DEALER)
    worker.setsockopt(zmq.LINGER, 0)
    worker.connect(args.workers)
    hub = welcome(worker, {"role": "mqtt-worker", "name": "py-batch-worker", "window": 1000, "batchAck": True,
                           "batchBytes": 131072})
    limit = hub.get("batchBytes", 0)

    packed = b""
    for seq in range(1, args.count + 1):
        meta = {"seq": seq, "qos": 1} if seq == args.bad else {"seq": seq, "topic": args.mqtt_topic, "qos": 1}
        packed += record(meta, ("py%d" % seq).encode())
    if len(packed) > limit:
        sys.exit("the batch (%d bytes) is over the hub's batchBytes (%d)" % (len(packed), limit))
    worker.send_multipart([TAG, b"BATCH", b"{}", packed])

    expected = args.count - 1
    messages = 0
    delivered = []
    seqs = []
    deadline = time.time() + 20
    while len(delivered) < expected and time.time() < deadline:
        if not consumer.poll(200):
            continue
        parts = consumer.recv_multipart()
        if parts[1] == b"BATCH":
            messages += 1
            for meta, body in records(parts[3]):
                delivered.append(body.decode())
                seqs.append(meta["seq"])
        elif parts[1] == b"DATA":
            messages += 1
            meta = json.loads(parts[2])
            delivered.append(parts[3].decode())
            seqs.append(meta["seq"])
        elif parts[1] == b"PING":
            consumer.send_multipart(frames("PONG", {}))
    consumer.send_multipart(frames("ACK", {"seqs": seqs}))

    acked = set()
    refused = []
    deadline = time.time() + 20
    while len(acked) + len(refused) < args.count and time.time() < deadline:
        if not worker.poll(200):
            continue
        parts = worker.recv_multipart()
        meta = json.loads(parts[2]) if len(parts) > 2 else {}
        if parts[1] == b"ACK":
            acked.update(meta.get("seqs", []))
            if "seq" in meta:
                acked.add(meta["seq"])
        elif parts[1] == b"ERROR":
            refused.append({"seq": meta.get("seq"), "code": meta.get("code")})
        elif parts[1] == b"PING":
            worker.send_multipart(frames("PONG", {}))
    for sock in (consumer, worker):
        sock.send_multipart(frames("BYE", {}))
        sock.close()
    context.term()
    print(json.dumps({"hubBatchBytes": limit, "consumerMessages": messages, "delivered": delivered,
                      "acked": sorted(acked), "refused": refused}))


if __name__ == "__main__":
    main()
