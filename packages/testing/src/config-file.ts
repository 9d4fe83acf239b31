import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a config.yaml (one string, or its lines) into a new temporary folder; its path, for ORCH_CONFIG. */
export function writeConfigFile(yaml: string | readonly string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'orch-config-')), 'config.yaml');
  writeFileSync(file, typeof yaml === 'string' ? yaml : `${yaml.join('\n')}\n`);
  return file;
}
