import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolArgs, ToolName } from '@orch/contracts';
import { TOOLS } from '.';
import type { ModelTool, PromptContext, ToolAsk } from './tool';

/** Each model tool's prompt builder, without Redis or a model: arguments in, prompt and settings out. */
describe('prompt builders, one per model tool', () => {
  const root = mkdtempSync(join(tmpdir(), 'orch-prompts-'));
  writeFileSync(join(root, 'util.ts'), 'export const add = (a: number, b: number) => a + b;\n');
  const files = { roots: [root], maxFileBytes: 10_000, maxTotalBytes: 100_000, maxFiles: 10 };
  const mcp: PromptContext = { fileAccess: true, files };
  const web: PromptContext = { fileAccess: false, files };

  /** Parses the arguments as the runner does (defaults filled), then asks the tool. */
  async function ask<N extends ToolName>(name: N, args: ToolArgs<N>, ctx: PromptContext = mcp): Promise<ToolAsk> {
    const tool = TOOLS[name] as ModelTool<N>;
    expect(tool.kind).toBe('model');
    return tool.ask(tool.input.parse(args), ctx);
  }

  it('orchestrate_task: the description, its context and files; strategy, council and shared settings passed on', async () => {
    const a = await ask('orchestrate_task', { description: 'Pick a queue', code_context: 'We run Redis.', file_paths: ['util.ts'], strategy: 'max_quality_council', council: 'debate', rounds: 3, models: ['gemini_pro', 'o3_architect'], max_cost_usd: 0.5 });
    expect(a.prompt).toMatch(/^Pick a queue\n\nContext:\n\nWe run Redis\.\n\nFiles:\n\n.*util\.ts/s);
    expect(a.prompt).toContain('export const add');
    expect(a).toMatchObject({ strategy: 'max_quality_council', council: 'debate', debateRounds: 3, models: ['gemini_pro', 'o3_architect'], maxCostUsd: 0.5, compareApproaches: false });
  });

  it('query_specific_model: one model; the seed\'s parameters.max_tokens and temperature win', async () => {
    const a = await ask('query_specific_model', { model: 'o3_architect', description: 'Why?', temperature: 0.1, parameters: { max_tokens: 500, temperature: 0.9 } });
    expect(a).toMatchObject({ prompt: 'Why?', strategy: 'single', models: ['o3_architect'], maxOutputTokens: 500, temperature: 0.9 });
  });

  it('code_review: the review type, focus and severity in the instructions, the code in a block', async () => {
    const a = await ask('code_review', { code: 'eval(input)', review_type: 'security', focus_areas: ['injection'], severity_filter: 'high' });
    expect(a.prompt).toContain('(security review)');
    expect(a.prompt).toContain('Focus first on: injection.');
    expect(a.prompt).toContain('Report only findings of high severity or worse.');
    expect(a.prompt).toMatch(/Code:\n\neval\(input\)$/);
    expect(a.strategy).toBe('external_enhancement');
  });

  it('think_deeper: a single call asked to think it through, on the model given', async () => {
    const a = await ask('think_deeper', { problem: 'Is this lock-free?', context: 'CAS loop', model: 'o3_architect', thinking_mode: 'max' });
    expect(a.prompt).toMatch(/^Think this problem through carefully.*Problem:\n\nIs this lock-free\?\n\nContext:\n\nCAS loop$/s);
    expect(a).toMatchObject({ strategy: 'single', models: ['o3_architect'], thinkingMode: 'max' });
  });

  it('multi_model_review: the task to review; compare_approaches and the council reach the plan', async () => {
    const a = await ask('multi_model_review', { task: 'Move to Kafka', compare_approaches: true, council: 'vote', quorum: 2 });
    expect(a.prompt).toMatch(/^Review the following\..*\n\nMove to Kafka$/s);
    expect(a).toMatchObject({ strategy: 'external_enhancement', compareApproaches: true, council: 'vote', quorum: 2 });
  });

  it('comparative_analysis: the options numbered, the criteria named', async () => {
    const a = await ask('comparative_analysis', { options: ['Postgres', 'Redis'], criteria: ['durability', 'cost'] });
    expect(a.prompt).toContain('Compare them on: durability, cost.');
    expect(a.prompt).toContain('Option 1:\nPostgres\n\nOption 2:\nRedis');
    expect(a).toMatchObject({ strategy: 'external_enhancement', compareApproaches: true });
  });

  it('review_changes: the uncommitted diff and what it was meant to do; nothing without file access', async () => {
    const repo = mkdtempSync(join(root, 'repo-'));
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args]);
    git('init', '-q');
    writeFileSync(join(repo, 'a.txt'), 'one\n');
    git('add', '.');
    git('commit', '-qm', 'first');
    writeFileSync(join(repo, 'a.txt'), 'two\n');
    const a = await ask('review_changes', { repo_paths: [repo], original_request: 'Say two' });
    expect(a.prompt).toContain('The changes were meant to do this:\nSay two');
    expect(a.prompt).toContain('+two');
    await expect(ask('review_changes', { repo_paths: [repo] }, web)).rejects.toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('repo_paths') });
  });

  it('file arguments are refused, naming the field, on doors without file access', async () => {
    await expect(ask('orchestrate_task', { description: 'x', file_paths: ['util.ts'] }, web)).rejects.toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('file_paths') });
    await expect(ask('code_review', { files: ['util.ts'] }, web)).rejects.toMatchObject({ message: expect.stringContaining('files') });
  });

  it('covers every model tool', () => {
    const covered = ['orchestrate_task', 'query_specific_model', 'code_review', 'think_deeper', 'multi_model_review', 'comparative_analysis', 'review_changes'];
    expect(Object.values(TOOLS).filter((t) => t.kind === 'model').map((t) => t.name).sort()).toEqual(covered.sort());
  });
});
