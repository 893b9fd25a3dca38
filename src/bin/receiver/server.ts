/**
 * The ready-to-run receiver behind `npm start`: the lean Node listener on `node:http`, `/healthz`, the
 * inbox on the database `DATABASE_URL` names, graceful shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as WebhookHttp from "../../WebhookHttp.js"
import * as WebhookInbox from "../../WebhookInbox.js"
import type * as WebhookSecret from "../../WebhookSecret.js"
import type { ReceiverConfig } from "./config.js"
import * as Database from "./database.js"
import { DatabaseUnavailable, describe, ListenFailed, type MissingDriver } from "./errors.js"
import { handle } from "./handler.js"

const HEALTHY = JSON.stringify({ status: "ok" })
const NOT_FOUND = JSON.stringify({ error: { type: "NotFound" } })

/** Why `listen` failed, said for a person: the errors a misconfigured or crowded machine gives. */
const listenFailed = (error: NodeJS.ErrnoException, host: string, port: number): ListenFailed => {
  const where = `${host}:${port}`
  switch (error.code) {
    case "EADDRINUSE":
      return new ListenFailed({
        message: `cannot listen on ${where}: another process is listening there`,
        hint: "stop it, or set PORT (serve: --port) to a free port"
      })
    case "EACCES":
      return new ListenFailed({
        message: `cannot listen on ${where}: not allowed`,
        hint: "ports below 1024 need privileges: set PORT (serve: --port) to 1024 or above"
      })
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ListenFailed({
        message: `cannot listen on ${where}: HOST ${host} is not an address of this machine`,
        hint: "set HOST to 0.0.0.0 (every interface) or 127.0.0.1 (this machine only)"
      })
    default:
      return new ListenFailed({
        message: `cannot listen on ${where}: ${describe(error)}`,
        hint: "check HOST and PORT (serve: --port)"
      })
  }
}

const listen = (server: Server, host: string, port: number) =>
  Effect.async<AddressInfo, ListenFailed>((resume) => {
    const onError = (error: Error) => resume(Effect.fail(listenFailed(error, host, port)))
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      resume(Effect.succeed(server.address() as AddressInfo))
    })
  })

/** Stops accepting, lets in-flight deliveries finish and answer, then resolves. */
const close = (server: Server) =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    server.closeIdleConnections()
  })

/** The HTTP server: deliveries on `settings.path` (through the inbox when one is provided), `/healthz`, 404. */
export const ServerLive = (
  settings: ReceiverConfig
): Layer.Layer<never, ListenFailed, WebhookSecret.WebhookSecret> =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const listener = yield* WebhookHttp.makeNodeListener({
        handle,
        timeout: settings.timeout,
        maxBodySize: settings.maxBodySize
      })
      // While stopping, answers close their connections, so that no keep-alive connection keeps us up.
      let closing = false
      const inFlight = new Set<ServerResponse>()
      const server = createServer((request: IncomingMessage, response: ServerResponse) => {
        if (closing) response.setHeader("connection", "close")
        else {
          inFlight.add(response)
          response.once("close", () => inFlight.delete(response))
        }
        const url = request.url ?? "/"
        const query = url.indexOf("?")
        const path = query === -1 ? url : url.slice(0, query)
        if (path === settings.path) return listener(request, response)
        if (path === "/healthz") {
          return void response.writeHead(200, { "content-type": "application/json" }).end(HEALTHY)
        }
        response.writeHead(404, { "content-type": "application/json" }).end(NOT_FOUND)
      })
      const address = yield* Effect.acquireRelease(listen(server, settings.host, settings.port), () =>
        Effect.logInfo("stopping: no new deliveries; waiting for those in flight").pipe(
          Effect.zipRight(Effect.sync(() => {
            closing = true
            for (const response of inFlight) if (!response.headersSent) response.setHeader("connection", "close")
          })),
          Effect.zipRight(close(server)),
          Effect.zipRight(Effect.logInfo("stopped"))
        ))
      const shown = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address
      yield* Effect.logInfo(`listening on http://${shown}:${address.port}${settings.path}`)
    })
  )

/** The inbox on `settings.database`, in `settings.mode`; in queued mode, the workers too. */
export const InboxLive = (
  settings: ReceiverConfig
): Layer.Layer<WebhookInbox.WebhookInbox, MissingDriver | DatabaseUnavailable> => {
  const { database } = settings
  const inbox = WebhookInbox.layerSql({ mode: settings.mode, lease: settings.lease }).pipe(
    Layer.mapError((error) =>
      new DatabaseUnavailable({
        message: `cannot prepare the inbox's table in ${database.description}: ${describe(error)}`,
        hint: "the database user needs the right to create a table (the inbox makes its own on start)"
      })
    ),
    Layer.provide(Database.layer(database)),
    Layer.tap(() => Effect.logInfo(`inbox: ${database.description}, ${settings.mode} mode`))
  )
  return settings.mode === "queued"
    ? Layer.merge(
      WebhookInbox.layerWorker({ handle, timeout: settings.timeout, concurrency: settings.workers }).pipe(
        Layer.provide(inbox)
      ),
      inbox
    )
    : inbox
}
