export { RestClient } from './rest';
export type { RestClientOptions, ToolInfo, FollowedEvent } from './rest';
export { WsClient } from './ws';
export type { WsClientOptions, Welcome, EventListener } from './ws';
export { OrchestratorClientError } from './errors';
export { parseSse } from './sse';
export type { SseMessage } from './sse';
