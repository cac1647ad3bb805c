import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { control, serverStats, type ControlBody, type ServerStats } from '../scripts/control.mjs';

/** The reference server in its own process, so its pacing never shares our event loop. */
export interface ServerProcess {
  readonly url: string;
  control(body: ControlBody): Promise<unknown>;
  stats(): Promise<ServerStats>;
  stop(): void;
}

export function startServerProcess(args: string[] = []): Promise<ServerProcess> {
  const script = join(__dirname, '..', 'server.js');
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [script, '--port', '0', '--control', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // Read its log as it goes (a pipe nobody reads would stop the server once full: it logs every
    // connection); the tail is what it says if it ends early.
    let log = '';
    let started = false;
    let stopping = false;
    child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4_000)));
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      started = true;
      const url = m[1]!;
      const controlUrl = url.replace('ws://', 'http://').replace('/v1/responses', '/__spark/control');
      resolve({
        url,
        control: (body) => control(controlUrl, body),
        stats: () => serverStats(controlUrl),
        stop: () => {
          stopping = true;
          child.kill('SIGKILL');
        },
      });
    });
    // Before it started: the start fails with its log. After: a server gone mid-bench says why (unless stopped).
    child.on('exit', (code, signal) => {
      reject(new Error(`server exited with ${code ?? signal}: ${out}${log}`));
      if (started && !stopping) process.stderr.write(`[bench] the reference server exited (${code ?? signal}); the end of its log:\n${log}\n`);
    });
  });
}
