import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
