import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, redisTarget } from '@orch/config';
import { QUEUE_NAMES } from '@orch/contracts';
import { FrontDoorMetrics } from '@orch/door';

const repo = join(__dirname, '..', '..');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APPS: Record<string, { port: number; env: string; front: boolean; queue?: keyof typeof QUEUE_NAMES }> = {
  'mcp-gateway': { port: 8080, env: 'MCP_HTTP_PORT', front: true },
  'rest-bridge': { port: 5050, env: 'REST_PORT', front: true },
  'ws-bridge': { port: 8765, env: 'WS_PORT', front: true },
  'worker-openrouter': { port: 9464, env: 'WORKER_METRICS_PORT', front: false, queue: 'openrouter' },
  'worker-openai': { port: 9464, env: 'WORKER_METRICS_PORT', front: false, queue: 'openai' },
};

describe('Kubernetes manifests (kubectl kustomize infra/overlays/example)', () => {
  let docs: Obj[] = [];
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

  beforeAll(() => {
    const out = execFileSync('kubectl', ['kustomize', join(repo, 'infra', 'overlays', 'example')], { encoding: 'utf8' });
    docs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
  });

  it('renders every app, Redis, config, secret, in one namespace', () => {
    expect(docs.length).toBeGreaterThan(20);
    for (const d of docs.filter((x) => x.kind !== 'Namespace')) expect({ kind: d.kind, name: d.metadata.name, ns: d.metadata.namespace }).toEqual({ kind: d.kind, name: d.metadata.name, ns: 'mcp-orchestrator' });
    const redis = find('StatefulSet', 'redis')!;
    expect(redis.spec.template.spec.containers[0].args.join(' ')).toMatch(/--appendonly yes .*--maxmemory-policy noeviction/);
    expect(find('Secret', 'orchestrator-secrets')).toBeDefined();
  });

  it.each(Object.entries(APPS))('%s: probes, limits, non-root, read-only root, config and secret, PDB', (name, app) => {
    const dep = find('Deployment', name)!;
    expect(dep).toBeDefined();
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe(`registry.example.com/mcp-orchestrator/${name}:0.1.0`);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.ports[0]).toEqual({ name: 'http', containerPort: app.port });
    expect(c.env).toContainEqual({ name: app.env, value: String(app.port) });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // Config from the generated ConfigMap (hashed name), keys from the Secret.
    const cmName = c.envFrom.find((e: Obj) => e.configMapRef).configMapRef.name as string;
    expect(cmName).toMatch(/^orchestrator-config-[a-z0-9]+$/);
    expect(find('ConfigMap', cmName)!.data).toMatchObject({ ORCH_HOST: '0.0.0.0', MCP_DAILY_LIMIT: '50' });
    expect(c.envFrom).toContainEqual({ secretRef: { name: 'orchestrator-secrets' } });
    const pdb = find('PodDisruptionBudget', name)!;
    expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
    if (app.front) {
      expect(find('Service', name)!.spec.ports[0]).toMatchObject({ port: app.port, targetPort: 'http' });
      const hpa = find('HorizontalPodAutoscaler', name)!;
      expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
      expect(hpa.spec.metrics[0].resource).toMatchObject({ name: 'cpu' });
    } else {
      const so = find('ScaledObject', name)!;
      expect(so.spec.scaleTargetRef.name).toBe(name);
      // The BullMQ keys as the workers write them: prefix, queue name with its hash tag, list.
      const queue = QUEUE_NAMES[app.queue!];
      expect(so.spec.triggers.map((t: Obj) => t.metadata.listName ?? t.metadata.query)).toEqual([`bull:${queue}:wait`, `bull:${queue}:active`, `max(orch_queue_jobs{queue="${queue.slice(1, -1)}",state="delayed"})`]);
      const auth = find('TriggerAuthentication', so.spec.triggers[0].authenticationRef.name)!;
      const ref = auth.spec.secretTargetRef[0];
      expect(Object.keys(find('Secret', ref.name)!.data)).toContain(ref.key);
      expect(find('ConfigMap', cmName)!.data.REDIS_ADDRESS).toBe('redis:6379');
    }
  });

  it('docker-compose.yml: Redis with AOF and noeviction; every app read-only, limited, with rotated logs; workers with replicas', () => {
    // Compose resolves YAML merge keys (<<), as docker compose does.
    const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as Obj;
    expect(compose.services.redis.command.join(' ')).toMatch(/--appendonly yes .*--maxmemory-policy noeviction/);
    const published: string[] = [];
    for (const name of Object.keys(APPS)) {
      const s = compose.services[name];
      expect({ name, target: s.build.target, readOnly: s.read_only, tmpfs: s.tmpfs }).toEqual({ name, target: name, readOnly: true, tmpfs: ['/tmp'] });
      expect(s.logging.options).toEqual({ 'max-size': '10m', 'max-file': '3' });
      expect(s.deploy.resources.limits.memory).toBeDefined();
      expect(s.depends_on.redis.condition).toBe('service_healthy');
      if (!APPS[name]!.front) expect(String(s.deploy.replicas)).toMatch(/WORKER_REPLICAS/);
      published.push(...((s.ports ?? []) as string[]));
    }
    expect(published.map((p) => p.split(':').at(-1))).toEqual(['8080', '5050', '8765']);
  });

  it('docker-compose.yml: keys only as secrets, each to the services that need it; Redis maxmemory under its limit', () => {
    const compose = parse(readFileSync(join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as Obj;
    const needs: Record<string, [string, string]> = {
      'mcp-gateway': ['ORCH_API_KEYS', 'orch_api_keys'],
      'rest-bridge': ['ORCH_API_KEYS', 'orch_api_keys'],
      'ws-bridge': ['ORCH_API_KEYS', 'orch_api_keys'],
      'worker-openrouter': ['OPENROUTER_API_KEY', 'openrouter_api_key'],
      'worker-openai': ['OPENAI_API_KEY', 'openai_api_key'],
    };
    for (const [name, [variable, secret]] of Object.entries(needs)) {
      const s = compose.services[name];
      const env = Object.keys(s.environment);
      expect({ name, secretsInEnv: env.filter((k) => /API_KEY|ADMIN_KEY|WEBHOOK_URL/.test(k) && !k.endsWith('_FILE')) }).toEqual({ name, secretsInEnv: [] });
      expect({ name, file: s.environment[`${variable}_FILE`], secret: s.secrets.includes(secret) }).toEqual({ name, file: `/run/secrets/${secret}`, secret: true });
      expect(compose.secrets[secret].file).toMatch(new RegExp(`/${secret}$`));
      // Each service reads only the secrets it names in a _FILE variable.
      expect({ name, secrets: [...s.secrets].sort() }).toEqual({ name, secrets: env.filter((k) => k.endsWith('_FILE')).map((k) => String(s.environment[k]).replace('/run/secrets/', '')).sort() });
    }
    expect(compose.services['rest-bridge'].environment.ORCH_ADMIN_KEY_FILE).toBe('/run/secrets/orch_admin_key');
    expect(compose.services['worker-openai'].environment.ORCH_ALERT_WEBHOOK_URL_FILE).toBe('/run/secrets/orch_alert_webhook_url');
    expect(compose['env_file']).toBeUndefined();
    const args = compose.services.redis.command.join(' ');
    const maxmemory = Number(/--maxmemory (\d+)mb/.exec(args)?.[1]);
    expect(maxmemory).toBeLessThan(parseInt(compose.services.redis.deploy.resources.limits.memory, 10));
  });
});

describe('KEDA follows the queue prefix', () => {
  it('an overlay that sets ORCH_QUEUE_PREFIX renames every list KEDA reads', () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'orch-infra-')), 'infra');
    cpSync(join(repo, 'infra'), copy, { recursive: true });
    appendFileSync(join(copy, 'overlays/example/kustomization.yaml'), 'configMapGenerator:\n  - name: orchestrator-config\n    behavior: merge\n    literals:\n      - ORCH_QUEUE_PREFIX=team-a\n');
    const docs = parseAllDocuments(execFileSync('kubectl', ['kustomize', join(copy, 'overlays/example')], { encoding: 'utf8' })).map((d) => d.toJS() as Obj);
    const lists = docs.filter((d) => d.kind === 'ScaledObject').flatMap((d) => d.spec.triggers.flatMap((t: Obj) => (t.type === 'redis' ? [t.metadata.listName] : [])));
    expect(lists.sort()).toEqual(['team-a:{openai}:active', 'team-a:{openai}:wait', 'team-a:{openrouter}:active', 'team-a:{openrouter}:wait']);
  });
});

describe('on a Redis Cluster (infra/overlays/redis-cluster, issue 28.4)', () => {
  it('the apps reach the cluster by its seed nodes, the Secret holds no REDIS_URL, KEDA reads the same lists with its redis-cluster scaler', () => {
    const docs = parseAllDocuments(execFileSync('kubectl', ['kustomize', join(repo, 'infra/overlays/redis-cluster')], { encoding: 'utf8' })).map((d) => d.toJS() as Obj);
    expect(docs.some((d) => d.kind === 'StatefulSet' && d.metadata.name === 'redis')).toBe(false);
    const cm = docs.find((d) => d.kind === 'ConfigMap')!;
    const secret = docs.find((d) => d.kind === 'Secret')!;
    expect(Object.keys(secret.data ?? {})).not.toContain('REDIS_URL');
    // The apps load this mode from exactly these variables.
    const config = loadConfig({ cwd: '/nonexistent', env: { ...cm.data, OPENROUTER_API_KEY: 'x', OPENAI_API_KEY: 'y' } });
    expect(redisTarget(config.redis)).toMatchObject({ mode: 'cluster', nodes: [{ host: 'redis-cluster-0.redis-cluster-headless', port: 6379 }, expect.anything(), expect.anything()] });
    expect(config.redis.waitReplicas).toBe(1);
    const triggers = docs.filter((d) => d.kind === 'ScaledObject').flatMap((d) => d.spec.triggers as Obj[]).filter((t) => t.type !== 'prometheus');
    expect(triggers).toHaveLength(4);
    for (const t of triggers) expect(t).toMatchObject({ type: 'redis-cluster', metadata: { addressesFromEnv: 'REDIS_ADDRESSES' } });
    expect(triggers.map((t) => t.metadata.listName).sort()).toEqual(['bull:{openai}:active', 'bull:{openai}:wait', 'bull:{openrouter}:active', 'bull:{openrouter}:wait']);
    expect(cm.data.REDIS_ADDRESSES).toBe(cm.data.REDIS_CLUSTER_NODES);
  });
});

describe('monitoring (infra/monitoring)', () => {
  it('the alert rules and the Grafana dashboard name only metrics the front doors export', async () => {
    const metrics = new FrontDoorMetrics('test');
    metrics.watch({ queues: {}, spend: async () => ({ spentUsd: 0, reservedUsd: 0, remainingUsd: 1, limits: { dailyUsd: 1, perRequestUsd: 1 } }) }, { warn: () => undefined } as never);
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).flatMap((m) => (String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => `${m.name}${s}`) : [m.name])));

    const rules = (parse(readFileSync(join(repo, 'infra/monitoring/alerts.yaml'), 'utf8')) as Obj).groups.flatMap((g: Obj) => g.rules) as Obj[];
    const dashboard = JSON.parse(readFileSync(join(repo, 'infra/monitoring/grafana-dashboard.json'), 'utf8')) as Obj;
    const exprs = [...rules.map((r) => String(r.expr)), ...dashboard.panels.flatMap((p: Obj) => p.targets.map((t: Obj) => String(t.expr)))];
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const r of rules) expect({ alert: r.alert, severity: r.labels?.severity, summary: typeof r.annotations?.summary }).toEqual({ alert: expect.stringMatching(/^Orchestrator/), severity: expect.any(String), summary: 'string' });
    const named = [...new Set(exprs.flatMap((e) => e.match(/\borch_[a-z_]+/g) ?? []))];
    expect(named.length).toBeGreaterThanOrEqual(6);
    expect(named.filter((n) => !exported.has(n))).toEqual([]);
  });
});
