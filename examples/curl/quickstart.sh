#!/usr/bin/env bash
# The REST bridge with curl: a call, an asynchronous request followed as server-sent events, spend.
#   ORCH_API_KEY=... examples/curl/quickstart.sh
# Environment: ORCH_REST_URL (http://127.0.0.1:5050), ORCH_API_KEY (when the server has keys).
set -euo pipefail
BASE="${ORCH_REST_URL:-http://127.0.0.1:5050}"
AUTH=()
if [ -n "${ORCH_API_KEY:-}" ]; then AUTH=(-H "Authorization: Bearer ${ORCH_API_KEY}"); fi
JSON=(-H 'Content-Type: application/json')

echo "== tools"
curl -fsS "${AUTH[@]}" "$BASE/tools" | jq -r '.tools[].name'

echo "== a second opinion (seed-compatible POST /mcp/:tool)"
curl -fsS "${AUTH[@]}" "${JSON[@]}" -X POST "$BASE/mcp/query_specific_model" \
  -d '{"model": "gemini_pro", "description": "What are React best practices?"}' | jq -r '.result.answers[0].text'

echo "== the seed's other shape: POST /mcp {method, params}"
curl -fsS "${AUTH[@]}" "${JSON[@]}" -X POST "$BASE/mcp" -d '{"method": "list_models", "params": {}}' | jq -r '.result.models[].key'

echo "== asynchronous: 202 with a request id, then its events as SSE"
ID=$(curl -fsS "${AUTH[@]}" "${JSON[@]}" -H 'Prefer: respond-async' -X POST "$BASE/mcp/think_deeper" \
  -d '{"problem": "Should this service use optimistic locking?", "thinking_mode": "low"}' | jq -r '.request_id')
echo "request $ID"
curl -fsSN --max-time 600 "${AUTH[@]}" "$BASE/requests/$ID/events" | sed -n 's/^event: //p' | tr '\n' ' '
echo
curl -fsS "${AUTH[@]}" "$BASE/requests/$ID" | jq '{status: .result.status, text: .result.output.answers[0].text}'

echo "== spend today"
curl -fsS "${AUTH[@]}" "$BASE/spend" | jq '.result | {spent_usd, daily_limit_usd, remaining_usd}'
