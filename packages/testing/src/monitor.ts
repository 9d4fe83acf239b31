import { connect, type Socket } from 'node:net';

/** One command a Redis ran, as MONITOR shows it: its words, who sent it (`lua` for a script's own), and when (epoch ms, Redis's clock). */
export interface MonitoredCommand {
  args: string[];
  source: string;
  time: number;
}

/** What a Redis is running, as it runs it (MONITOR): every command so far, until `stop`. */
export interface RedisMonitor {
  readonly commands: MonitoredCommand[];
  /** Resolves once every command sent before this call has been seen (a marker command, not kept in `commands`, is). */
  caughtUp(): Promise<void>;
  stop(): void;
}

/**
 * MONITOR over a plain socket. ioredis's own `monitor()` loses track of its replies when commands
 * are shown in the same read as MONITOR's `+OK` ("Command queue state error"), as on a busy Redis.
 */
export async function monitorRedis(host: string, port: number): Promise<RedisMonitor> {
  const socket: Socket = connect({ host, port });
  const commands: MonitoredCommand[] = [];
  const waiters = new Map<string, () => void>();
  let buffer = '';
  let seq = 0;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write('MONITOR\r\n');
      resolve();
    });
  });
  await new Promise<void>((resolve) => {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (line === '+OK') resolve();
        const m = /^\+([\d.]+) \[\d+ ([^\]]+)\] (.*)$/.exec(line);
        if (!m) continue;
        const args = [...m[3]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!.replace(/\\(.)/g, '$1'));
        const marker = args[0]?.toLowerCase() === 'echo' ? waiters.get(args[1]!) : undefined;
        if (marker) marker();
        else commands.push({ args, source: m[2]!, time: Number(m[1]) * 1000 });
      }
    });
  });
  return {
    commands,
    caughtUp: () =>
      new Promise<void>((resolve, reject) => {
        const marker = `monitor-marker-${++seq}`;
        const timer = setTimeout(() => reject(new Error('MONITOR did not show its marker in 5 s')), 5000);
        waiters.set(marker, () => {
          clearTimeout(timer);
          waiters.delete(marker);
          resolve();
        });
        const probe = connect({ host, port }, () => probe.end(`ECHO ${marker}\r\n`));
        probe.on('error', () => undefined);
      }),
    stop: () => socket.destroy(),
  };
}
