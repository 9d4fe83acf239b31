import { modelTool } from './tool';
import { block, shared } from './prompt-parts';

export const comparativeAnalysis = modelTool(
  'comparative_analysis',
  {
    title: 'Compare options',
    description: 'External models compare two or more options on the criteria you give and recommend one.',
  },
  async (a) => {
    const options = a.options.map((o, i) => `Option ${i + 1}:\n${o}`).join('\n\n');
    const criteria = a.criteria?.length ? `\n\nCompare them on: ${a.criteria.join(', ')}.` : '';
    return {
      prompt: `Compare these options and recommend one.${criteria}\n\n${options}${block('Context', a.context)}`,
      strategy: 'external_enhancement',
      ...shared(a),
      compareApproaches: true,
    };
  },
);
