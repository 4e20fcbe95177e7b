/**
 * WebSockets that survive a restarting viewer or a dropped SSH tunnel: reconnect with exponential
 * backoff, and let the caller re-send its opening message (with its current position) each time.
 */
import type { LiveMetricsMessage, LogsChunk } from "./types";

export type SocketState = "connecting" | "open" | "closed";

export interface ReconnectingSocketOptions<M> {
  /** Path such as `/api/metrics/<id>/ws`; the origin is the page's own. */
  path: string;
  /** The first message after every (re)connect, so the server resumes where the client is. */
  hello: () => unknown;
  onMessage: (message: M) => void;
  onState?: (state: SocketState) => void;
  /** A message after which the stream is over: close and do not reconnect. */
  isFinal?: (message: M) => boolean;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface SocketHandle {
  close: () => void;
}

export function socketUrl(path: string, location: Pick<Location, "protocol" | "host"> = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** Delay before reconnect attempt `attempt` (0-based): doubling from min, capped, with jitter. */
export function backoffDelay(attempt: number, minMs = 500, maxMs = 15_000, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** attempt);
  return Math.round(base * (0.75 + 0.5 * random()));
}

export function openReconnectingSocket<M>(options: ReconnectingSocketOptions<M>): SocketHandle {
  const { minDelayMs = 500, maxDelayMs = 15_000 } = options;
  let socket: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const connect = () => {
    if (stopped) return;
    options.onState?.("connecting");
    const ws = new WebSocket(socketUrl(options.path));
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      options.onState?.("open");
      ws.send(JSON.stringify(options.hello()));
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      let message: M;
      try {
        message = JSON.parse(event.data) as M;
      } catch {
        return;
      }
      options.onMessage(message);
      if (options.isFinal?.(message)) {
        stopped = true;
        ws.close();
        options.onState?.("closed");
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      // 4400/4404: the server refuses this run for good; reconnecting cannot help.
      if (event.code >= 4400 && event.code < 4500) stopped = true;
      if (stopped) {
        options.onState?.("closed");
        return;
      }
      options.onState?.("connecting");
      timer = setTimeout(connect, backoffDelay(attempt++, minDelayMs, maxDelayMs));
    };
  };

  connect();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      const ws = socket;
      socket = null;
      ws?.close();
      options.onState?.("closed");
    },
  };
}

/** Live metric points of one run; the server sends points after `after()` only. */
export function openMetricsSocket(
  runId: string,
  keys: string[] | null,
  after: () => number | null,
  onMessage: (message: LiveMetricsMessage) => void,
  onState?: (state: SocketState) => void,
): SocketHandle {
  return openReconnectingSocket<LiveMetricsMessage>({
    path: `/api/metrics/${encodeURIComponent(runId)}/ws`,
    hello: () => ({ keys, after: after() }),
    onMessage,
    onState,
    isFinal: (message) => message.status !== undefined && message.status !== "running",
  });
}

/** The growing tail of a run's logs.txt, from byte `offset()` on (or the tail when null). */
export function openLogsSocket(
  runId: string,
  offset: () => number | null,
  onChunk: (chunk: LogsChunk) => void,
  onState?: (state: SocketState) => void,
): SocketHandle {
  return openReconnectingSocket<LogsChunk>({
    path: `/api/runs/${encodeURIComponent(runId)}/logs/ws`,
    hello: () => {
      const at = offset();
      return at === null ? {} : { offset: at };
    },
    onMessage: onChunk,
    onState,
  });
}
