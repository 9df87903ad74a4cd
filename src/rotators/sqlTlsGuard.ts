import { connect, type Socket } from "node:net";

/** TDS packet type PRELOGIN (MS-TDS 2.2.3.1.1): in TDS 7.x it also carries the TLS handshake. */
const PRELOGIN = 0x12;
/** TLS record content types (RFC 8446 §5.1): change_cipher_spec 20 to application_data 23. */
const isTlsRecord = (byte: number | undefined): boolean => byte !== undefined && byte >= 0x14 && byte <= 0x17;

/** tedious's `options.connector`: opens the socket tedious then speaks TDS on (tedious passes its signal third). */
export type TdsConnector = (options?: unknown, lookup?: unknown, signal?: AbortSignal) => Promise<Socket>;

export interface TlsOnlyConnector {
  connector: TdsConnector;
  /** Whether the server declined encryption and the guard closed the connection before a login went out. */
  refused(): boolean;
}

/**
 * With `encrypt: true` tedious still logs in without TLS when the server's PRELOGIN answer says it does not
 * support encryption (tedious 19 `connection.js`, `performSentPrelogin`: TLS starts only for ON or REQ),
 * sending LOGIN7 with the password merely obfuscated. This connector lets only PRELOGIN packets and TLS
 * records onto the wire before TLS is up: anything else (LOGIN7 in the clear) closes the connection first.
 */
export function tlsOnlyConnector(host: string, port: number): TlsOnlyConnector {
  let refused = false;
  const connector: TdsConnector = (_options, _lookup, signal) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host, port });
      const onAbort = (): void => {
        socket.destroy();
        reject(signal?.reason instanceof Error ? signal.reason : new Error("connection aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", (error) => {
        signal?.removeEventListener("abort", onAbort);
        reject(error);
      });
      socket.once("connect", () => {
        signal?.removeEventListener("abort", onAbort);
        socket.removeAllListeners("error");
        resolve(guard(socket, () => (refused = true)));
      });
    });
  return { connector, refused: () => refused };
}

function guard(socket: Socket, onRefused: () => void): Socket {
  let encrypted = false;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (!encrypted) {
      const first = typeof chunk === "string" ? chunk.charCodeAt(0) : (chunk as Uint8Array)[0];
      if (isTlsRecord(first)) encrypted = true;
      else if (first !== PRELOGIN) {
        onRefused();
        socket.destroy(new Error("the server did not encrypt the connection; nothing was sent"));
        return false;
      }
    }
    return write(chunk, ...rest);
  }) as Socket["write"];
  return socket;
}
