import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A listening loopback server whose stop also cuts open keep-alive connections, as every emulator needs. */
export interface ListeningServer {
  port: number;
  stop(): Promise<void>;
}

export async function listenOnLoopback(
  server: Server,
  port: number,
  host = "127.0.0.1",
): Promise<ListeningServer> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
