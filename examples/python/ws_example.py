#!/usr/bin/env python3
"""The WebSocket bridge from Python with the standard library only: the seed's message
{method, params}, the request's live events, its result; then a request followed again by id.

    ORCH_API_KEY=... python3 examples/python/ws_example.py

Environment: ORCH_WS_URL (ws://127.0.0.1:8765), ORCH_API_KEY (when the server has keys).
A client library (Debian's python3-websockets) does the same in fewer lines; this one needs nothing.
"""
import base64
import json
import os
import socket
import struct
import sys
from urllib.parse import urlsplit

URL = urlsplit(os.environ.get("ORCH_WS_URL", "ws://127.0.0.1:8765"))
KEY = os.environ.get("ORCH_API_KEY")


class WebSocket:
    """The least of RFC 6455 a client needs: a handshake, masked text frames out, frames in."""

    def __init__(self, host, port, path, headers):
        self.sock = socket.create_connection((host, port), timeout=600)
        nonce = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {nonce}", "Sec-WebSocket-Version: 13", *headers]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = self.sock.recv(4096)
            if not chunk:
                sys.exit("the server closed the connection during the handshake")
            reply += chunk
        head, self.buffer = reply.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            sys.exit(f"WebSocket upgrade refused: {status}")

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, message):
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        n = len(payload)
        header = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else (
            struct.pack("!BBH", 0x81, 0x80 | 126, n) if n < 65536 else struct.pack("!BBQ", 0x81, 0x80 | 127, n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        """The next JSON message (pings are answered, continuation frames joined)."""
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError(f"closed by the server: {struct.unpack('!H', payload[:2])[0] if payload else ''}")
            if opcode == 0x9:
                mask = os.urandom(4)
                self.sock.sendall(struct.pack("!BB", 0x8A, 0x80 | n) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
                continue
            message += payload
            if first & 0x80:
                return json.loads(message)

    def close(self):
        self.sock.close()


ws = WebSocket(URL.hostname, URL.port or 80, URL.path or "/", [f"Authorization: Bearer {KEY}"] if KEY else [])
welcome = ws.receive()
print(f"welcome: {len(welcome['tools'])} tools, models {', '.join(m['key'] for m in welcome['models'])}")

# The seed's message, as it wrote it: {method, params} (replies carry id null).
ws.send({"method": "query_specific_model", "params": {"model": "gemini_pro", "description": "What are React best practices?"}})
request_id = None
kinds = []
while True:
    message = ws.receive()
    if message["type"] == "accepted":
        request_id = message["request_id"]
    elif message["type"] == "event":
        kinds.append(message["event"]["type"])
    elif message["type"] == "result":
        # A call that ended at once is answered without an `accepted` first; its result names it.
        request_id = request_id or message.get("request_id")
        print(f"events: {' '.join(kinds)}")
        print(f"gemini_pro says: {message['result']['answers'][0]['text'][:80]}")
        break
    elif message["type"] == "error":
        sys.exit(f"error {message['error']['code']}: {message['error']['message']}")

# Requests outlive sockets: follow this one again by id, from its first event, on a new socket.
ws.close()
ws = WebSocket(URL.hostname, URL.port or 80, URL.path or "/", [f"Authorization: Bearer {KEY}"] if KEY else [])
ws.receive()
ws.send({"id": 1, "method": "subscribe", "params": {"request_id": request_id}})
while True:
    message = ws.receive()
    if message["type"] == "result":
        print(f"request {request_id} again: {message['result']['status']}")
        break
    if message["type"] == "error":
        sys.exit(f"error {message['error']['code']}: {message['error']['message']}")

# A bad argument names the field and the rule.
ws.send({"id": 2, "method": "query_specific_model", "params": {"model": "gemini_pro"}})
message = ws.receive()
print(f"missing description: {message['error']['code']}: {message['error']['message']}")
ws.close()
