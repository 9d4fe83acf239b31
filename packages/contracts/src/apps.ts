/**
 * What each app logs once it serves. The apps log these words; `pnpm start` and the tests wait for
 * them. One owner, so the two cannot drift apart.
 */
export const APP_READY_TEXT = {
  'worker-openai': 'provider worker started',
  'worker-openrouter': 'provider worker started',
  'rest-bridge': 'REST bridge listening',
  'ws-bridge': 'WebSocket bridge listening',
  'mcp-gateway': 'MCP Streamable HTTP listening',
} as const;
export type AppName = keyof typeof APP_READY_TEXT;
