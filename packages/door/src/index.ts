export { serveDoor } from './serve-door';
export type { DoorApp, DoorName, ServeDoorOptions } from './serve-door';
export { openFrontDoor, frontDoorHost, listenOn, closeServer } from './front-door';
export type { FrontDoor } from './front-door';
export { FrontDoorMetrics } from './front-door-metrics';
export { queueStats, type QueueStats } from './queue-stats';
export { LOOPBACK_HOSTS, MAX_JSON_DEPTH, checkJsonDepth, hostAllowed, malformedRequest, originAllowed, originRefusal } from './http-guards';
export { STATUS_BY_CODE, refuseUpgrade, writeError, writeFailure, writeJson, writeRpcError } from './error-answers';
