export interface ControlBody {
  faults?: string[];
  timing?: Record<string, number | boolean>;
  shape?: 'plain' | 'codex' | 'refusal';
  steering?: boolean;
  closeConnections?: boolean;
}
export interface ServerStats {
  connections: number;
  responses: number;
  activeGenerations: number;
  abortedGenerations: number;
  tokensSent: number;
  steersAccepted: number;
  steered: number;
}
export function control(controlUrl: string, body: ControlBody): Promise<unknown>;
export function serverStats(controlUrl: string): Promise<ServerStats>;
