// The well-behaved caller, in its own process so the fuzzer's own work does not slow its clock:
// a REST tool call that runs a model job, over and over, until told to stop (SIGTERM). Prints one
// JSON line per call: {ms, status}.
const [port, key] = process.argv.slice(2);
let stop = false;
process.on('SIGTERM', () => (stop = true));
process.stdout.on('error', () => process.exit(0)); // the runner went away
while (!stop) {
  const started = performance.now();
  let status = 0;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/mcp/query_specific_model`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini_pro', description: 'A well-behaved question' }),
      signal: AbortSignal.timeout(30_000),
    });
    status = res.status;
    await res.text();
  } catch {
    status = 0;
  }
  process.stdout.write(`${JSON.stringify({ ms: Math.round(performance.now() - started), status })}\n`);
  await new Promise((r) => setTimeout(r, 200));
}
