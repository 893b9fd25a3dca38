/** A real `node:http` server on a random loopback port, for as long as the scope lasts (Effect 4). */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

/** Listens with `listener` on 127.0.0.1 and a free port; closing the scope drops every connection. */
export const listenLoopback = (listener: http.RequestListener) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.callback<http.Server>((resume) => {
        const server = http.createServer(listener)
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.callback<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    ),
    (server) => ({ server, port: (server.address() as AddressInfo).port })
  )
