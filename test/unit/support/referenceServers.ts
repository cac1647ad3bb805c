import { afterEach } from 'vitest';
import { startSparkServer, type SparkServer } from '../../../src/server/server';

/**
 * Reference servers on port 0 for one test file, and a list of cleanups run
 * after each test (newest first): servers, clients, sockets.
 */
export function useReferenceServers(tokensPerSecond: number): {
  cleanups: (() => unknown)[];
  serve: (options?: Parameters<typeof startSparkServer>[0]) => Promise<SparkServer>;
} {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    serve: async (options = {}) => {
      const server = await startSparkServer({ port: 0, timing: { ttftMs: 0, tokensPerSecond }, ...options });
      cleanups.push(() => server.close());
      return server;
    },
  };
}
