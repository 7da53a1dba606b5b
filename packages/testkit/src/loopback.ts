import type { AddressInfo, Server, Socket } from "node:net";

/** A test server listening on this machine only. */
export interface LoopbackListener {
  /** The port the system chose. */
  readonly port: number;
  /** Closes the server, cutting open connections first: a client left hanging must not keep a test waiting. */
  stop(): Promise<void>;
}

/** Starts `server` (http, https or tls) on 127.0.0.1 at a free port and tracks its connections for {@link LoopbackListener.stop}. */
export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
