#!/usr/bin/env python3
"""The REST bridge from Python with `requests`, as the seed's integration example calls it.

    ORCH_API_KEY=... python3 examples/python/rest_example.py

Environment: ORCH_REST_URL (http://127.0.0.1:5050), ORCH_API_KEY (when the server has keys).
Debian: apt-get install python3-requests.
"""
import os
import sys
import time

import requests

BASE = os.environ.get("ORCH_REST_URL", "http://127.0.0.1:5050").rstrip("/")
KEY = os.environ.get("ORCH_API_KEY")
session = requests.Session()
if KEY:
    session.headers["Authorization"] = f"Bearer {KEY}"


def call(tool, **params):
    """POST /mcp/<tool>: the seed's shape. Errors come back with a stable code and a message."""
    response = session.post(f"{BASE}/mcp/{tool}", json=params, timeout=600)
    body = response.json()
    if not response.ok:
        error = body.get("error", {})
        sys.exit(f"{tool}: HTTP {response.status_code} {error.get('code')}: {error.get('message')}")
    if response.status_code == 202:
        # Still running when the server stopped waiting (o3 can think for minutes): read it by id.
        return wait_for(body["request_id"])["output"]
    return body["result"]


def wait_for(request_id, most_seconds=900):
    """GET /requests/<id>?wait=50 until the request ends (each answer waits up to 50 s for it)."""
    deadline = time.monotonic() + most_seconds
    while time.monotonic() < deadline:
        record = session.get(f"{BASE}/requests/{request_id}", params={"wait": 50}, timeout=60).json()["result"]
        if record["status"] != "running":
            return record
    sys.exit(f"request {request_id} still running after {most_seconds} s; read it later: GET /requests/{request_id}")


# The seed's example, word for word: an external perspective with a named strategy.
result = call(
    "orchestrate_task",
    description="Analyze this architecture decision",
    strategy="external_enhancement",
)
print(f"orchestrate_task: {result['status']}, {len(result['answers'])} answers")
for answer in result["answers"]:
    print(f"  {answer['model']}: {answer['text'][:80]}")

# One model directly.
result = call("query_specific_model", model="gemini_pro", description="What are React best practices?")
print(f"gemini_pro says: {result['answers'][0]['text'][:80]}")

# A request answered at once with its id (Prefer: respond-async), then read by id.
response = session.post(
    f"{BASE}/mcp/think_deeper",
    json={"problem": "Should this service use optimistic locking?", "thinking_mode": "low"},
    headers={"Prefer": "respond-async"},
    timeout=60,
)
request_id = response.json()["request_id"]
print(f"accepted {response.status_code}: request {request_id}")
record = wait_for(request_id)
print(f"request {request_id}: {record['status']}")

# A bad argument is a 400 that names the field and the rule.
bad = session.post(f"{BASE}/mcp/query_specific_model", json={"model": "gemini_pro"}, timeout=60)
print(f"missing description: HTTP {bad.status_code} {bad.json()['error']['code']}: {bad.json()['error']['message']}")

spend = session.get(f"{BASE}/spend", timeout=60).json()["result"]
print(f"spent today: ${spend['spent_usd']:.6f} of ${spend['daily_limit_usd']:.2f}")
