import { linkSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFiles, type FileLimits } from './files';

describe('readFiles refuses secret-bearing files (issue 12.2)', () => {
  const root = mkdtempSync(join(tmpdir(), 'orch-files-'));
  writeFileSync(join(root, '.env'), 'OPENAI_API_KEY=sk-proj-abcdefghijklmnop\n');
  writeFileSync(join(root, '.env.local'), 'X=1\n');
  writeFileSync(join(root, 'server.pem'), '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
  writeFileSync(join(root, '.npmrc'), '//registry.npmjs.org/:_authToken=abc\n');
  writeFileSync(join(root, 'id_ed25519'), 'key\n');
  mkdirSync(join(root, '.aws'));
  writeFileSync(join(root, '.aws', 'credentials'), '[default]\naws_secret_access_key=x\n');
  writeFileSync(join(root, 'notes.md'), '# notes\n');
  symlinkSync(join(root, '.env'), join(root, 'innocent.txt'));
  const limits = (allow: string[] = []): FileLimits => ({ roots: [root], maxFileBytes: 1 << 16, maxTotalBytes: 1 << 20, maxFiles: 10, allowSecretFiles: allow });

  it.each([
    ['.env', 'dotenv'],
    ['.env.local', 'dotenv'],
    ['server.pem', 'private keys'],
    ['.npmrc', 'credential files'],
    ['id_ed25519', 'SSH keys'],
    ['.aws/credentials', 'cloud credentials'],
    ['innocent.txt', 'dotenv'],
  ])('%s is refused, and the error names the rule (%s)', async (file, rule) => {
    const err = (await readFiles([file], limits()).catch((e: unknown) => e)) as { code: string; message: string; details: { field: string; rule: string } };
    expect(err.code).toBe('invalid_arguments');
    expect(err.details.field).toBe('file_paths.0');
    expect(err.details.rule).toContain(rule);
    expect(err.message).toContain('ORCH_ALLOW_SECRET_FILES');
  });

  it('reads ordinary files, and a secret file the operator allows by name', async () => {
    expect((await readFiles(['notes.md'], limits()))[0]!.content).toBe('# notes\n');
    expect((await readFiles(['.env.local'], limits(['.env.local'])))[0]!.content).toBe('X=1\n');
  });
});

describe('readFiles refuses credential files by more names, by any case, through hard links and by content (issue 31.6)', () => {
  const root = mkdtempSync(join(tmpdir(), 'orch-files-'));
  const put = (path: string, content: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  put('.envrc', 'export DATABASE_PASSWORD=hunter2hunter2\n');
  put('.git/config', '[remote "origin"]\n\turl = https://x-access-token:abc123def456@github.com/acme/app.git\n');
  put('.cargo/credentials.toml', '[registry]\ntoken = "cio_abc"\n');
  put('.config/gh/hosts.yml', 'github.com:\n  oauth_token: abc\n');
  put('.gem/credentials', ':rubygems_api_key: abc\n');
  put('.terraform.d/credentials.tfrc.json', '{"credentials": {}}\n');
  put('ID_RSA', 'key\n');
  put('.Env', 'A=1\n');
  put('.env', 'OPENAI_API_KEY=x\n');
  linkSync(join(root, '.env'), join(root, 'harmless.txt'));
  put('notes/deploy.md', 'Use this key: sk-proj-0123456789abcdefghij\n');
  put('notes/key.txt', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n');
  put('notes/db.md', 'postgres://app:s3cretpass@db.internal:5432/app\n');
  put('notes/plain.md', 'Nothing to see: sk-short, https://example.com/a@b\n');
  const limits = (allow: string[] = []): FileLimits => ({ roots: [root], maxFileBytes: 1 << 16, maxTotalBytes: 1 << 20, maxFiles: 10, allowSecretFiles: allow });
  const refusal = async (file: string, allow: string[] = []) => (await readFiles([file], limits(allow)).catch((e: unknown) => e)) as { code?: string; message: string; details?: { rule: string } };

  it.each([
    ['.envrc', 'dotenv'],
    ['.git/config', 'git configuration'],
    ['.cargo/credentials.toml', 'tool login files'],
    ['.config/gh/hosts.yml', 'tool login files'],
    ['.gem/credentials', 'tool login files'],
    ['.terraform.d/credentials.tfrc.json', 'credential files'],
    ['ID_RSA', 'SSH keys'],
    ['.Env', 'dotenv'],
    ['harmless.txt', 'dotenv'],
    ['notes/deploy.md', 'shaped like a credential'],
    ['notes/key.txt', 'shaped like a credential'],
    ['notes/db.md', 'shaped like a credential'],
  ])('%s is refused (%s), naming the override', async (file, rule) => {
    const err = await refusal(file);
    expect(err.code).toBe('invalid_arguments');
    expect(err.details?.rule).toContain(rule);
    expect(err.message).toContain('ORCH_ALLOW_SECRET_FILES');
  });

  it('reads a file with no credential shape, and one the operator allows by name despite its content', async () => {
    expect((await readFiles(['notes/plain.md'], limits()))[0]!.content).toContain('Nothing to see');
    expect((await readFiles(['notes/deploy.md'], limits(['deploy.md'])))[0]!.content).toContain('sk-proj-');
  });
});

