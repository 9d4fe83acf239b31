import type { StoredRequestEvent } from '@orch/contracts';

/** What one progress notification says about an event, or undefined: nothing worth a line. */
export function describeEvent(e: StoredRequestEvent): string | undefined {
  switch (e.type) {
    case 'progress':
      return e.message ?? `${e.model ?? 'request'}: ${e.stage.replace('_', ' ')}`;
    case 'partial':
      return `${e.model}: writing (${e.chars.toLocaleString('en-US')} characters)`;
    case 'result':
      return `${e.model}: answered`;
    case 'error':
      return `${e.model}: ${e.final ? 'failed' : 'will retry'} (${e.error.code})`;
    case 'done':
      return undefined;
  }
}

/**
 * A running call as its heartbeat tells it: the phase (what each model is doing), the tokens and the
 * USD its finished model calls used so far. Clients without Tasks (Claude Code, Claude Desktop) show
 * these lines and reset their idle timers on them.
 */
export class CallProgress {
  private readonly phase = new Map<string, string>();
  private tokens = 0;
  private usd = 0;
  private answered = 0;
  private readonly started = Date.now();

  see(e: StoredRequestEvent): void {
    const model = e.model ?? 'request';
    if (e.type === 'progress') this.phase.set(model, e.stage.replace('_', ' '));
    else if (e.type === 'partial') this.phase.set(model, `writing (${e.chars.toLocaleString('en-US')} characters)`);
    else if (e.type === 'error') this.phase.set(model, e.final ? 'failed' : 'retrying');
    else if (e.type === 'result') {
      this.phase.set(model, 'answered');
      this.answered++;
      this.tokens += e.result.usage.totalTokens;
      this.usd += e.result.costUsd;
    }
  }

  /** `working 15 s — gemini_pro writing (1,204 characters), o3 answered; so far 1 answer, 2,310 tokens, $0.0123`. */
  heartbeat(): string {
    const seconds = Math.round((Date.now() - this.started) / 1000);
    const phase = [...this.phase].map(([model, what]) => `${model} ${what}`).join(', ') || 'queued';
    const answers = `${this.answered} answer${this.answered === 1 ? '' : 's'}`;
    return `working ${seconds} s — ${phase}; so far ${answers}, ${this.tokens.toLocaleString('en-US')} tokens, $${this.usd.toFixed(4)}`;
  }
}
