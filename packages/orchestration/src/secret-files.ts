import { basename, sep } from 'node:path';

/**
 * Files that hold credentials by their nature. A tool call's `file_paths` are sent to an external
 * model, so these are refused unless the operator allows one by name (ORCH_ALLOW_SECRET_FILES).
 * Each rule names itself in the refusal, so the caller knows why.
 */
const RULES: ReadonlyArray<{ rule: string; test: (name: string, parts: string[]) => boolean }> = [
  { rule: 'dotenv files (.env*)', test: (n) => n === '.env' || n.startsWith('.env.') || n.endsWith('.env') },
  { rule: 'private keys and certificate stores (*.pem, *.key, *.p12, *.pfx, *.jks, *.keystore, *.asc, *.gpg)', test: (n) => /\.(pem|key|p12|pfx|jks|keystore|asc|gpg|ppk)$/i.test(n) },
  { rule: 'SSH keys (id_rsa*, id_dsa*, id_ecdsa*, id_ed25519*, ~/.ssh)', test: (n, p) => /^id_(rsa|dsa|ecdsa|ed25519)/.test(n) || p.includes('.ssh') },
  {
    rule: 'credential files (.npmrc, .pypirc, .netrc, .git-credentials, .pgpass, .htpasswd, .dockercfg)',
    test: (n) => ['.npmrc', '.yarnrc.yml', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.pgpass', '.htpasswd', '.dockercfg', '.vault-token'].includes(n),
  },
  {
    rule: 'cloud credentials (.aws, .azure, gcloud, .kube/config, .docker/config.json, service-account and credentials JSON)',
    test: (n, p) =>
      p.includes('.aws') ||
      p.includes('.azure') ||
      p.includes('gcloud') ||
      (p.includes('.kube') && n === 'config') ||
      (p.includes('.docker') && n === 'config.json') ||
      /^(credentials|application_default_credentials|service[-_]?account.*|client_secret.*)\.json$/i.test(n),
  },
  { rule: 'secrets files (secrets.*, .secrets)', test: (n) => /^\.?secrets?(\.[a-z]+)?$/i.test(n) },
];

/**
 * The rule that refuses `path`, or undefined. Both the path as given and its real path (symlinks
 * followed) are checked, so a link named `notes.txt` to `.env` is refused too. `allowed` lists
 * names or path suffixes the operator let through.
 */
export function secretFileRule(paths: readonly string[], allowed: readonly string[]): string | undefined {
  for (const p of paths) {
    const parts = p.split(sep).filter(Boolean);
    const name = basename(p);
    if (allowed.some((a) => a === name || a === p || p.endsWith(`${sep}${a}`))) continue;
    const hit = RULES.find((r) => r.test(name, parts));
    if (hit) return hit.rule;
  }
  return undefined;
}

/** The same rules as git pathspecs, so review_changes leaves such files out of its diff. */
export const SECRET_FILE_PATHSPECS: readonly string[] = [
  '**/.env',
  '**/.env.*',
  '**/*.env',
  '**/*.pem',
  '**/*.key',
  '**/*.p12',
  '**/*.pfx',
  '**/*.jks',
  '**/*.keystore',
  '**/id_rsa*',
  '**/id_dsa*',
  '**/id_ecdsa*',
  '**/id_ed25519*',
  '**/.npmrc',
  '**/.pypirc',
  '**/.netrc',
  '**/.git-credentials',
  '**/.pgpass',
  '**/credentials.json',
  '**/service-account*.json',
].map((g) => `:(exclude,glob)${g}`);
