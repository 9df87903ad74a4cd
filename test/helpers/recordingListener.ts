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

/**
 * A PostgreSQL server that refuses every password without learning it: after the StartupMessage it asks for
 * SCRAM-SHA-256 (`R`, code 10, AuthenticationSASL), and to the client's first SCRAM message (a nonce and no
 * proof) answers ErrorResponse 28P01, as a server does for a wrong password (Frontend/Backend Protocol,
 * "SASL Authentication"). Each password a client tries costs it one connection: count them.
 */
export function startRefusingPostgres(): Promise<RecordingListener> {
  const field = (type: string, text: string): Buffer => Buffer.from(`${type}${text}\0`, "utf8");
  const message = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(5);
    head.write(type, 0, "latin1");
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const sasl = message("R", Buffer.concat([Buffer.from([0, 0, 0, 10]), Buffer.from("SCRAM-SHA-256\0\0")]));
  const refused = message(
    "E",
    Buffer.concat([
      field("S", "FATAL"),
      field("V", "FATAL"),
      field("C", "28P01"),
      field("M", "password authentication failed"),
      Buffer.from([0]),
    ]),
  );
  return startRecordingListener((socket, _chunk, index) => {
    if (index === 0) socket.write(sasl);
    else if (index === 1) socket.end(refused);
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
