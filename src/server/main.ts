import { parseArgs } from 'node:util';
import { OutputShapeSchema, parseFault } from './options';
import { startSparkServer } from './server';

const HELP = `spark-edit-server: a local Codex-Spark-compatible endpoint (OpenAI Responses API over a WebSocket and over HTTP)

Usage: spark-edit-server [options]
  --port N                 listen port (default 8787; 0 picks a free one)
  --host H                 bind address (default 127.0.0.1; others need --allow-remote)
  --api-key K              require "Authorization: Bearer K" (or env SPARK_SERVER_API_KEY)
  --ttft-ms N              time to first token (default 80)
  --tokens-per-second N    output rate (default 1000; 20000+ for stress)
  --jitter-ms N            let each delivery slip by up to N ms (default 0)
  --token-chars N          characters per token (default 4)
  --fault SPEC             inject into every response: drop:N, error:N, failed:N, incomplete:N,
                           error_flat:N, malformed:N, oversized:N[:BYTES], unknown_event:N, stall:N[:MS],
                           connection_limit, previous_not_found
  --shape S                output shape: plain (default), codex (reasoning, commentary, final answer), refusal
  --no-steering            refuse response.steer with steering_not_supported
  --backend URL            bridge to an OpenAI-compatible HTTP API (llama.cpp, Ollama, vLLM, Cerebras)
  --backend-model NAME     model name for the backend (default: the request's)
                           (backend key: env SPARK_BACKEND_API_KEY)
  --max-connections N      connections allowed at once (default 64)
  --control                serve POST /__spark/control and GET /__spark/stats (for tests)
  --allow-remote           allow binding to a non-loopback address
  --verbose                log every request
  --help
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'ttft-ms': { type: 'string' },
      'tokens-per-second': { type: 'string' },
      'jitter-ms': { type: 'string' },
      'token-chars': { type: 'string' },
      fault: { type: 'string' },
      shape: { type: 'string' },
      'no-steering': { type: 'boolean' },
      backend: { type: 'string' },
      'backend-model': { type: 'string' },
      'max-connections': { type: 'string' },
      control: { type: 'boolean' },
      'allow-remote': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const fault = values.fault === undefined ? undefined : parseFault(values.fault);
  if (fault && !fault.ok) throw new Error(fault.error);
  const shape = values.shape === undefined ? undefined : OutputShapeSchema.safeParse(values.shape);
  if (shape && !shape.success) throw new Error(`unknown --shape "${values.shape}" (plain, codex or refusal)`);
  const timing = Object.fromEntries(
    Object.entries({
      ttftMs: num(values['ttft-ms']),
      tokensPerSecond: num(values['tokens-per-second']),
      jitterMs: num(values['jitter-ms']),
      tokenChars: num(values['token-chars']),
    }).filter(([, v]) => v !== undefined),
  );
  const log = (message: string): void => {
    process.stderr.write(`[spark-server ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
  };
  const server = await startSparkServer(
    {
      host: values.host,
      port: num(values.port),
      apiKey: values['api-key'] ?? process.env.SPARK_SERVER_API_KEY,
      timing,
      fault: fault?.ok ? fault.value : undefined,
      shape: shape?.data,
      steering: !values['no-steering'],
      backend: values.backend,
      backendModel: values['backend-model'],
      backendApiKey: process.env.SPARK_BACKEND_API_KEY,
      maxConnections: num(values['max-connections']),
      control: values.control ?? false,
      allowRemote: values['allow-remote'] ?? false,
      verbose: values.verbose ?? false,
    },
    log,
  );
  process.stdout.write(`Spark Edit reference server listening on ${server.url} (WebSocket) and ${server.httpBaseUrl}/responses (HTTP)\n`);
  const stop = (signal: string): void => {
    log(`${signal}: shutting down`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`spark-edit-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
