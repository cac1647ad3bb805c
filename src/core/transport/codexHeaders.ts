/** The WebSocket beta the ChatGPT Codex backend requires on the handshake. */
const CODEX_WEBSOCKET_BETA = 'responses_websockets=2026-02-06';

/**
 * The handshake headers the ChatGPT Codex backend expects, as the Codex CLI
 * sends them (captured traffic of 0.135–0.153, as published by independent
 * clients: the hyphenated session and thread ids, a request id, the client's
 * name as `originator` and its version; the old underscored `session_id` is
 * gone). The bearer token is the ChatGPT access token, set elsewhere.
 */
export function codexHeaders(accountId: string, sessionId: string, clientVersion: string): Record<string, string> {
  return {
    'OpenAI-Beta': CODEX_WEBSOCKET_BETA,
    originator: 'spark_edit',
    version: clientVersion,
    'User-Agent': `spark_edit/${clientVersion}`,
    'session-id': sessionId,
    'thread-id': sessionId,
    'x-client-request-id': sessionId,
    ...(accountId ? { 'ChatGPT-Account-ID': accountId } : {}),
  };
}
