/**
 * The original project's config.yaml (the seed) as written: `model_id`, `max_tokens` and the
 * top-level `strategies:` block (per-strategy `models`, `require_consensus`) mean what the seed
 * meant. They are rewritten to this config's spelling before validation; a setting spelled both
 * ways is an error naming both; each seed spelling in use is noted, for one line at startup.
 */
type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Seed spelling → this config's, per section (`*` is any model or provider key). */
const RENAMES: ReadonlyArray<{ section: 'models' | 'providers'; from: string; to: string }> = [
  { section: 'models', from: 'model_id', to: 'modelId' },
  { section: 'models', from: 'max_tokens', to: 'maxOutputTokens' },
  { section: 'models', from: 'context_window', to: 'contextWindow' },
  { section: 'models', from: 'reasoning_effort', to: 'reasoningEffort' },
  { section: 'providers', from: 'base_url', to: 'baseUrl' },
];

export interface SeedSpellings {
  /** `models.gemini_pro.model_id → modelId`, … (empty when the file uses this config's spelling). */
  notes: string[];
  problems: string[];
}

/** Rewrites `tree` (a parsed config.yaml) in place. `where` names the file in messages. */
export function translateSeedSpellings(tree: Tree, where: string): SeedSpellings {
  const notes: string[] = [];
  const problems: string[] = [];
  const move = (node: Tree, from: string, to: string, path: string) => {
    if (!(from in node)) return;
    if (to in node) problems.push(`${path}.${from} and ${path}.${to} (in ${where}) are the same setting, spelled the original project's way and this one's: keep one`);
    else node[to] = node[from];
    delete node[from];
    notes.push(`${path}.${from} → ${to}`);
  };
  for (const { section, from, to } of RENAMES) {
    const entries = tree[section];
    if (!isTree(entries)) continue;
    for (const [key, node] of Object.entries(entries)) if (isTree(node)) move(node, from, to, `${section}.${key}`);
  }
  // strategies: { <name>: { models: [...], require_consensus: bool } } → orchestration.strategies
  const seed = tree.strategies;
  if (seed !== undefined) {
    delete tree.strategies;
    if (!isTree(seed)) {
      problems.push(`strategies (in ${where}): must be a mapping of strategy names to { models, require_consensus }`);
    } else {
      const orchestration = isTree(tree.orchestration) ? tree.orchestration : (tree.orchestration = {});
      const target = isTree(orchestration.strategies) ? orchestration.strategies : (orchestration.strategies = {});
      for (const [name, settings] of Object.entries(seed)) {
        if (name in target) {
          problems.push(`strategies.${name} and orchestration.strategies.${name} (in ${where}) are the same setting, spelled the original project's way and this one's: keep one`);
          continue;
        }
        if (isTree(settings)) move(settings, 'require_consensus', 'requireConsensus', `strategies.${name}`);
        target[name] = settings;
        notes.push(`strategies.${name} → orchestration.strategies.${name}`);
      }
    }
  }
  return { notes, problems };
}
