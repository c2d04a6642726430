// A minimal Socket.IO v4 client over Node's WebSocket (Engine.IO protocol 4, websocket transport
// only), enough to talk to the ElizaOS server the way its web client does: connect with auth, emit
// events, wait for events. No dependency: the protocol is a few text frames.
//   engine: "0{...}" open, "2" ping -> answer "3", "4<socket.io packet>" message
//   socket.io: "0{auth}" connect -> "0{sid}" or "4{message}" error; "2[event, data]" event

import { type Dispatcher, WebSocket as UndiciWebSocket } from "undici";

export interface SocketIoConnection {
  /** Milliseconds from opening the WebSocket to the server accepting the Socket.IO connect. */
  connectMs: number;
  emit(event: string, data: unknown): void;
  /** Resolves with the first `event` whose data passes `match`, or rejects after `timeoutMs`. */
  waitFor<T = unknown>(event: string, match: (data: T) => boolean, timeoutMs: number): Promise<T>;
  close(): void;
}

type Waiter = { event: string; match: (data: unknown) => boolean; resolve: (data: unknown) => void };

export async function connectSocketIo(
  baseUrl: string,
  auth: Record<string, string>,
  timeoutMs = 10_000,
  /** An undici dispatcher (DNS and TLS of a test proxy); then undici's own WebSocket is used. */
  dispatcher?: Dispatcher,
): Promise<SocketIoConnection> {
  const url = `${baseUrl.replace(/^http/, "ws").replace(/\/+$/, "")}/socket.io/?EIO=4&transport=websocket`;
  const started = performance.now();
  const headers = auth.apiKey ? { "x-api-key": auth.apiKey } : {};
  const ws = (
    dispatcher ? new UndiciWebSocket(url, { headers, dispatcher }) : new WebSocket(url, { headers } as never)
  ) as WebSocket;
  const waiters: Waiter[] = [];
  const seen: Array<{ event: string; data: unknown }> = [];

  const connected = new Promise<number>((resolveConnect, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Socket.IO connect to ${url} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.addEventListener("error", () => {
      clearTimeout(timer);
      reject(new Error(`WebSocket to ${url} failed`));
    });
    ws.addEventListener("message", (message: MessageEvent) => {
      const frame = String(message.data);
      if (frame.startsWith("0")) {
        ws.send(`40${JSON.stringify(auth)}`); // engine open: connect to the default namespace
      } else if (frame === "2") {
        ws.send("3");
      } else if (frame.startsWith("40")) {
        clearTimeout(timer);
        resolveConnect(performance.now() - started);
      } else if (frame.startsWith("44")) {
        clearTimeout(timer);
        reject(new Error(`Socket.IO refused the connection: ${frame.slice(2)}`));
      } else if (frame.startsWith("42")) {
        const [event, data] = JSON.parse(frame.slice(2)) as [string, unknown];
        seen.push({ event, data });
        for (const waiter of [...waiters]) {
          if (waiter.event === event && waiter.match(data)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(data);
          }
        }
      }
    });
  });
  let connectMs: number;
  try {
    connectMs = await connected;
  } catch (error) {
    ws.close();
    throw error;
  }

  return {
    connectMs,
    emit(event, data) {
      ws.send(`42${JSON.stringify([event, data])}`);
    },
    waitFor<T>(event: string, match: (data: T) => boolean, waitMs: number): Promise<T> {
      const earlier = seen.find((entry) => entry.event === event && match(entry.data as T));
      if (earlier) return Promise.resolve(earlier.data as T);
      return new Promise<T>((resolveEvent, reject) => {
        const waiter: Waiter = {
          event,
          match: match as (data: unknown) => boolean,
          resolve: (data) => {
            clearTimeout(timer);
            resolveEvent(data as T);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          const events = seen.map((entry) => entry.event).join(", ") || "none";
          const same = seen
            .filter((entry) => entry.event === event)
            .map((entry) => JSON.stringify(entry.data).slice(0, 400));
          reject(
            new Error(
              `no matching "${event}" event within ${waitMs} ms (events seen: ${events})` +
                (same.length ? `; "${event}" events that did not match: ${same.join(" | ")}` : ""),
            ),
          );
        }, waitMs);
        waiters.push(waiter);
      });
    },
    close() {
      ws.close();
    },
  };
}

/** The default message server of ElizaOS 1.7.2. */
export const DEFAULT_MESSAGE_SERVER = "00000000-0000-0000-0000-000000000000";

/** Joins a channel the way the web client does (event "1") and waits for "channel_joined". */
export async function joinChannel(
  socket: SocketIoConnection,
  ids: { channelId: string; entityId: string; agentId: string },
  timeoutMs: number,
): Promise<void> {
  socket.emit("1", { ...ids, messageServerId: DEFAULT_MESSAGE_SERVER });
  await socket.waitFor<{ channelId?: string }>(
    "channel_joined",
    (d) => d.channelId === ids.channelId,
    timeoutMs,
  );
}
