import { modelTool } from './tool';
import { block, filesBlock, shared } from './prompt-parts';

export const codeReview = modelTool(
  'code_review',
  {
    title: 'Code review by external models',
    description: 'Have external models review code (files or inline code): bugs, security, performance, maintainability, with severity. Several models in parallel, then a synthesis.',
  },
  async (a, ctx) => {
    const focus = a.focus_areas?.length ? `\nFocus first on: ${a.focus_areas.join(', ')}.` : '';
    const severity = a.severity_filter === 'all' ? '' : `\nReport only findings of ${a.severity_filter} severity or worse.`;
    return {
      prompt:
        `Review this code (${a.review_type} review). List concrete findings, each with severity (critical/high/medium/low), location and a fix; then the overall verdict.${focus}${severity}` +
        `${block('Code', a.code)}${await filesBlock(a.files, ctx, 'files')}`,
      strategy: 'external_enhancement',
      ...shared(a),
      compareApproaches: false,
    };
  },
);
