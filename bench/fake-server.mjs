// The project's fake OpenAI-compatible provider as its own process (so the load generator and the
// provider do not share an event loop). Prints `fake provider listening <base URL>`.
// Usage: node bench/fake-server.mjs <flavor> <apiKey> [behaviour JSON]
import { startFakeProvider } from '@orch/testing';

const [flavor = 'openrouter', apiKey = 'bench-key', behaviour = '{}'] = process.argv.slice(2);
const fake = await startFakeProvider({ flavor, apiKey, behaviour: JSON.parse(behaviour), host: '127.0.0.1' });
process.stdout.write(`fake provider listening ${fake.baseURL}\n`);
// Bound the recorded requests and generations: benchmarks send hundreds of thousands of requests.
// (reset keeps the behaviour given at start.)
setInterval(() => fake.reset(), 2000);
process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
