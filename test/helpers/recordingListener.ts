import { createServer, type Server, type Socket } from "node:net";

/** A loopback TCP listener that records every connection and every byte a client sends it. */
export interface RecordingListener {
  port: number;
  /** One entry per connection: the bytes it sent, in order. */
  connections: Buffer[][];
  /** Everything received on every connection. */
  received(): Buffer;
  stop(): Promise<void>;
}

/**
 * Starts a listener that answers like `respond` (or never answers) and records what arrives. Ports come
 * from the OS; every socket is closed on stop.
 */
export async function startRecordingListener(
  respond?: (socket: Socket, chunk: Buffer, index: number) => void,
): Promise<RecordingListener> {
  const connections: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      respond?.(socket, chunk, chunks.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    connections,
    received: () => Buffer.concat(connections.flat()),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Speaks just enough of PostgreSQL's protocol (Frontend/Backend Protocol, "Message Flow: Start-up") to ask
 * for a password the insecure way: after the StartupMessage it answers AuthenticationCleartextPassword
 * (`R`, code 3) or AuthenticationMD5Password (`R`, code 5, a salt), then waits. A client that sends a
 * PasswordMessage (`p`) has given the password (or its MD5 hash) away; every byte is recorded.
 */
export function startInsecurePostgres(method: "cleartext" | "md5"): Promise<RecordingListener> {
  return startRecordingListener((socket, _chunk, index) => {
    if (index !== 0) return;
    const request =
      method === "cleartext"
        ? Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])
        : Buffer.from([0x52, 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4]);
    socket.write(request);
  });
}

/** The types of the messages a PostgreSQL client sent after its StartupMessage (`p` is a password). */
export function postgresMessageTypes(connection: readonly Buffer[]): string[] {
  const bytes = Buffer.concat(connection);
  const types: string[] = [];
  let at = bytes.readInt32BE(0); // the StartupMessage has no type byte, only its length
  while (at + 5 <= bytes.length) {
    types.push(String.fromCharCode(bytes[at] as number));
    at += 1 + bytes.readInt32BE(at + 1);
  }
  return types;
}
