import { basename, sep } from 'node:path';

/**
 * Files that hold credentials by their nature. A tool call's `file_paths` are sent to an external
 * model, so these are refused unless the operator allows one by name (ORCH_ALLOW_SECRET_FILES).
 * Each rule names itself in the refusal, so the caller knows why.
 */
const RULES: ReadonlyArray<{ rule: string; test: (name: string, parts: string[]) => boolean }> = [
  { rule: 'dotenv files (.env*, .envrc)', test: (n) => n === '.env' || n === '.envrc' || n.startsWith('.env.') || n.endsWith('.env') },
  { rule: 'private keys and certificate stores (*.pem, *.key, *.p12, *.pfx, *.jks, *.keystore, *.asc, *.gpg)', test: (n) => /\.(pem|key|p12|pfx|jks|keystore|asc|gpg|ppk)$/.test(n) },
  { rule: 'SSH keys (id_rsa*, id_dsa*, id_ecdsa*, id_ed25519*, ~/.ssh)', test: (n, p) => /^id_(rsa|dsa|ecdsa|ed25519)/.test(n) || p.includes('.ssh') },
  {
    rule: 'credential files (.npmrc, .pypirc, .netrc, .git-credentials, .pgpass, .htpasswd, .dockercfg, .my.cnf, .s3cfg, .boto, .terraformrc…)',
    test: (n) =>
      ['.npmrc', '.yarnrc.yml', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.pgpass', '.htpasswd', '.dockercfg', '.vault-token', '.my.cnf', '.s3cfg', '.boto', '.terraformrc', 'credentials.tfrc.json', '.gitcookies'].includes(n),
  },
  {
    rule: 'tool login files (.cargo/credentials, .gem/credentials, gh and hub hosts, composer auth.json, .m2/settings.xml, .gradle/gradle.properties)',
    test: (n, p) =>
      (p.includes('.cargo') && /^credentials(\.toml)?$/.test(n)) ||
      (p.includes('.gem') && n === 'credentials') ||
      (p.includes('gh') && n === 'hosts.yml') ||
      (p.includes('.config') && n === 'hub') ||
      (p.includes('.composer') && n === 'auth.json') ||
      (p.includes('.m2') && n === 'settings.xml') ||
      (p.includes('.gradle') && n === 'gradle.properties'),
  },
  { rule: 'git configuration (.git/config: remote URLs may carry tokens)', test: (n, p) => n === 'config' && p.at(-2) === '.git' },
  {
    rule: 'cloud credentials (.aws, .azure, gcloud, .kube/config, .docker/config.json, service-account and credentials JSON)',
    test: (n, p) =>
      p.includes('.aws') ||
      p.includes('.azure') ||
      p.includes('gcloud') ||
      (p.includes('.kube') && n === 'config') ||
      (p.includes('.docker') && n === 'config.json') ||
      /^(credentials|application_default_credentials|service[-_]?account.*|client_secret.*)\.json$/.test(n),
  },
  { rule: 'secrets files (secrets.*, .secrets)', test: (n) => /^\.?secrets?(\.[a-z]+)?$/.test(n) },
];

/**
 * The rule that refuses `path`, or undefined. Both the path as given and its real path (symlinks
 * followed) are checked, so a link named `notes.txt` to `.env` is refused too; names are compared
 * without case (on macOS and Windows `.ENV` is `.env`). `allowed` lists names or path suffixes the
 * operator let through.
 */
export function secretFileRule(paths: readonly string[], allowed: readonly string[]): string | undefined {
  for (const p of paths) {
    if (allowedSecretFile([p], allowed)) continue;
    const lower = p.toLowerCase();
    const hit = RULES.find((r) => r.test(basename(lower), lower.split(sep).filter(Boolean)));
    if (hit) return hit.rule;
  }
  return undefined;
}

/** One of `paths` is allowed by the operator, by name or path suffix (ORCH_ALLOW_SECRET_FILES). */
export function allowedSecretFile(paths: readonly string[], allowed: readonly string[]): boolean {
  return paths.some((p) => allowed.some((a) => a === basename(p) || a === p || p.endsWith(`${sep}${a}`)));
}

/** The same rules as git pathspecs, so review_changes leaves such files out of its diff. */
export const SECRET_FILE_PATHSPECS: readonly string[] = [
  '**/.env',
  '**/.envrc',
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
  '**/credentials.tfrc.json',
  '**/.my.cnf',
  '**/.s3cfg',
  '**/service-account*.json',
].map((g) => `:(exclude,icase,glob)${g}`);
