export interface ControlBody {
  faults?: string[];
  timing?: Record<string, number | boolean>;
  shape?: 'plain' | 'codex' | 'refusal';
  steering?: boolean;
  closeConnections?: boolean;
}
export type { ServerStats } from '../src/server/stats.js';
import type { ServerStats } from '../src/server/stats.js';
export function control(controlUrl: string, body: ControlBody): Promise<unknown>;
export function serverStats(controlUrl: string): Promise<ServerStats>;
