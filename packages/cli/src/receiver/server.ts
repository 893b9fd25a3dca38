/**
 * The ready-to-run receiver behind `npm start`: the lean Node listener on `node:http` with deliberate limits
 * (timeouts, connections) and RFC 9112's request rules (see `./rfc9112.ts`), `/healthz`, `/metrics`, the inbox
 * on the database `DATABASE_URL` names, the inspector at `/inbox` (see `./inspector.ts`), and the engine's
 * `NodeServer` for how connections end: lingering closes (a sender still sending reads its 413 or 408), the parser's
 * refusals answered, and a graceful stop that keeps every timeout and ends within the drain deadline.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { Duplex } from "node:stream"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Body as body, NodeServer, Reply } from "openai-webhooks-engine"
import {
  type WebhookEvent,
  WebhookHttp,
  WebhookInbox,
  type Webhooks,
  type WebhookSecret
} from "effect4-openai-webhooks"
import type { ReceiverConfig } from "./config.js"
import * as Database from "./database.js"
import {
  DatabaseUnavailable,
  describe,
  type InvalidConfig,
  ListenFailed,
  mapLayerError,
  type MissingDriver
} from "./errors.js"
import { handle } from "./handler.js"
import * as Inspector from "./inspector.js"
import * as Ownership from "./ownership.js"
import * as Metrics from "./metrics.js"
import * as Rfc9112 from "./rfc9112.js"

const HEALTHY = Rfc9112.answer(200, { status: "ok" })
/** From the stop on: a load balancer that still sends here stops (the answer closes its connection). */
const STOPPING = Rfc9112.answer(503, { status: "stopping" })
const NOT_FOUND = Rfc9112.answer(404, { error: { type: "NotFound" } })

/** What runs each delivery: the example handler (`./handler.ts`), or a test's own. */
export type Handler = (
  event: WebhookEvent.UnwrapWebhookEvent,
  delivery: Webhooks.Delivery
) => Effect.Effect<void, unknown>

/** The Node server's limits, in whole milliseconds (what Node takes), and a stop's budget (see `NodeServer.limits`). */
export interface Limits extends NodeServer.Limits {
  readonly maxConnections: number
}

const toMillis = (duration: Duration.Duration): number => Duration.toMillis(duration)

/**
 * The engine's limits (`NodeServer.limits`: the headers timeout within the request timeout, checked every tenth of
 * it, an inactivity backstop past the body and the handler, the drain deadline) from the settings.
 */
export const limits = (settings: ReceiverConfig): Limits => ({
  ...NodeServer.limits({
    headersTimeout: toMillis(settings.headersTimeout),
    requestTimeout: toMillis(settings.requestTimeout),
    keepAliveTimeout: toMillis(settings.keepAliveTimeout),
    handlerTimeout: toMillis(settings.timeout)
  }),
  maxConnections: settings.maxConnections
})

/**
 * How the address the server listens on is written in a URL: every interface as 127.0.0.1 (what a browser
 * on this machine opens), an IPv6 literal in brackets (RFC 3986 3.2.2).
 */
export const urlHost = (address: string): string =>
  address === "0.0.0.0" || address === "::" ? "127.0.0.1" : address.includes(":") ? `[${address}]` : address

/** `handler`, timed for `/metrics` unless `WEBHOOK_METRICS` is off. */
const timedUnlessOff = (settings: ReceiverConfig, handler: Handler): Handler =>
  settings.metrics ? Metrics.timed(handler) : handler

/** Answers a request the receiver itself handles (`/healthz`, 404, a refusal), as the listener answers. */
const reply: (response: ServerResponse, answer: Rfc9112.Answer) => void = Reply.toNode

/** At most one line a minute about refused connections, so that a flood of them does not flood the log too. */
const REFUSED_LOG_INTERVAL = 60_000

/** What a connection over `WEBHOOK_MAX_CONNECTIONS` does: counted, and said at most once a minute. */
const onDrop = (runFork: (effect: Effect.Effect<void>) => unknown, maxConnections: number) => {
  let refused = 0
  let warned = -Infinity
  return (): void => {
    refused++
    const now = Date.now()
    if (now - warned < REFUSED_LOG_INTERVAL) return
    warned = now
    runFork(Effect.logWarning("connections refused").pipe(Effect.annotateLogs({
      refused,
      max_connections: maxConnections,
      error: `${maxConnections} connections are open (WEBHOOK_MAX_CONNECTIONS): new ones are closed until some ` +
        "end; refused counts those closed since the last such line"
    })))
    refused = 0
  }
}

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
  Effect.callback<AddressInfo, ListenFailed>((resume) => {
    const onError = (error: Error) => resume(Effect.fail(listenFailed(error, host, port)))
    server.once("error", onError)
    server.listen(port, host, () => {
      server.off("error", onError)
      resume(Effect.succeed(server.address() as AddressInfo))
    })
  })

/**
 * The HTTP server: deliveries on `settings.path` (through the inbox when one is provided), `/healthz`,
 * `/metrics` (unless `WEBHOOK_METRICS` is off), the inspector under `/inbox` when there is an inbox and an
 * {@link Inspector.Token}, 404.
 */
export const ServerLive = (
  settings: ReceiverConfig,
  handler: Handler = handle
): Layer.Layer<never, ListenFailed, WebhookSecret.WebhookSecret> =>
  Layer.effectDiscard(
    Effect.gen(function*() {
      const listener = yield* WebhookHttp.makeNodeListener({
        handle: timedUnlessOff(settings, handler),
        timeout: settings.timeout,
        maxBodySize: settings.maxBodySize
        // An IllegalArgumentException (WEBHOOK_MAX_BODY_SIZE under 1) stays a defect, as before 0.3.
      }).pipe(Effect.orDie)
      // Only with a token for this run and an inbox; otherwise /inbox is a 404 like any unknown path.
      const inspector = Option.getOrUndefined(yield* Inspector.make)
      // Serving another application's inbox to look at it: no delivery is taken here (see ./ownership.ts).
      const { inspectOnly } = yield* Effect.orDie(Ownership.use)
      const metrics = yield* Metrics.make(settings)
      const context = yield* Effect.context<never>()
      const runFork = Effect.runForkWith(context)
      // The inbox's own health (a SQLite file deleted or replaced under it): /healthz says 503 with the reason.
      const inbox = yield* Effect.serviceOption(WebhookInbox.WebhookInbox)
      const runSync = Effect.runSyncWith(context)
      const healthz = (): Rfc9112.Answer => {
        if (Option.isNone(inbox)) return HEALTHY
        const health = runSync(inbox.value.health)
        return health.healthy ? HEALTHY : Rfc9112.answer(503, { status: "unhealthy", error: health.reason })
      }
      const limit = limits(settings)
      const server = createServer({
        headersTimeout: limit.headersTimeout,
        requestTimeout: limit.requestTimeout,
        keepAliveTimeout: limit.keepAliveTimeout,
        connectionsCheckingInterval: limit.connectionsCheckingInterval
      })
      // Lingering closes, the parser's refusals answered (408, 400, 431), and the graceful stop (see the release).
      const managed = NodeServer.manage(server, { linger: limit.linger })
      const onRequest = (request: IncomingMessage, response: ServerResponse) => {
        const path = Rfc9112.route(request)
        if (typeof path !== "string") return reply(response, path)
        if (path === settings.path && !inspectOnly) return listener(request, response)
        if (inspector !== undefined && Inspector.owns(path)) return inspector(request, response, path)
        if (path === "/metrics" && metrics !== undefined) return metrics(request, response)
        reply(response, path !== "/healthz" ? NOT_FOUND : managed.stopping() ? STOPPING : healthz())
      }
      server.on("request", managed.listener(onRequest))
      server.keepAliveTimeout = limit.keepAliveTimeout
      server.timeout = limit.timeout
      server.maxConnections = limit.maxConnections

      // RFC 9110 10.1.1: `Expect: 100-continue` asks whether to send the body. Yes only to a POST on the
      // webhook path within the limit, the one request whose body is read; any other is answered at once (413,
      // 405, ...), and closes its connection if it has a body, so that the client does not send it nor we read it.
      server.on("checkContinue", managed.listener((request: IncomingMessage, response: ServerResponse) => {
        const reads = request.method === "POST" && Rfc9112.route(request) === settings.path &&
          !body.declaredOver(request.headers["content-length"], settings.maxBodySize)
        if (reads) response.writeContinue()
        else if (request.headers["transfer-encoding"] !== undefined || Number(request.headers["content-length"]) > 0) {
          response.setHeader("connection", "close")
        }
        onRequest(request, response)
      }))
      // Without a listener Node destroys a CONNECT's socket unanswered.
      server.on("connect", (_request: IncomingMessage, socket: Duplex) => {
        // The client may close first: then there is nobody left to answer.
        socket.on("error", () => undefined)
        socket.end(Rfc9112.raw(Rfc9112.CONNECT_REFUSED))
      })
      server.on("drop", onDrop(runFork, limit.maxConnections))
      const address = yield* Effect.acquireRelease(listen(server, settings.host, settings.port), () =>
        Effect.logInfo("stopping: no new deliveries; waiting for those in flight").pipe(
          Effect.annotateLogs({ connections: managed.connections(), drain_deadline: `${limit.drain}ms` }),
          Effect.andThen(Effect.promise(() => managed.stop(limit.drain))),
          Effect.flatMap(({ cut }) =>
            cut === 0 ? Effect.void : Effect.logWarning("connections cut at the drain deadline").pipe(
              Effect.annotateLogs({
                cut,
                error: "they were still open when every timeout should have closed them (WEBHOOK_REQUEST_TIMEOUT, " +
                  "WEBHOOK_TIMEOUT): their clients get no answer, and OpenAI retries"
              })
            )
          ),
          Effect.andThen(Effect.logInfo("stopped")),
          Effect.andThen(Effect.sync(() => {
            stopped = true
          }))
        ))
      // The address really bound (0.0.0.0 is every interface, not this machine's loopback); the inspector's line
      // is the address a browser here opens.
      const bound = address.address.includes(":") ? `[${address.address}]` : address.address
      yield* Effect.logInfo(
        inspectOnly
          ? `inspect-only on http://${bound}:${address.port}: no deliveries taken`
          : `listening on http://${bound}:${address.port}${settings.path}`
      )
      if (inspector !== undefined) {
        yield* Effect.logInfo(`inspector on http://${urlHost(address.address)}:${address.port}${Inspector.PREFIX}`)
      }
    })
  )

let stopped = false

/**
 * Whether a server of this process has logged `stopped`: it has drained, and what is left is closing the store (a
 * signal then no longer forces the exit, see `../receiver.ts`).
 */
export const hasStopped = (): boolean => stopped

/**
 * The inbox on `settings.database`, in `settings.mode`, and its workers: in queued mode they process every
 * delivery; in inline mode only the replayed and recovered ones (`inbox replay`, the inspector), so two are
 * plenty.
 */
export const InboxLive = (
  settings: ReceiverConfig,
  handler: Handler = handle
): Layer.Layer<WebhookInbox.WebhookInbox, MissingDriver | DatabaseUnavailable | InvalidConfig> => {
  const { database } = settings
  // Whose inbox it is decides what runs on it (see ./ownership.ts).
  return Layer.unwrap(Effect.map(Ownership.use, (use) => {
    const inbox = mapLayerError(
      WebhookInbox.layerSql({
        mode: settings.mode,
        lease: settings.lease,
        // On a SQLite file, the claims, settles and enqueues are written, and synced before each 200, by the engine's
        // writer thread: the event loop never waits on SQLite or on the disk (README, Performance). Looking only, no
        // delivery is written: no thread.
        writer: database._tag === "Sqlite" && !use.inspectOnly ? "thread" : "connection",
        // Another application's inbox, looked at: its own retention purges it, never ours (a century is never).
        ...(use.inspectOnly ? { retention: "36500 days", deadRetention: "36500 days" } : {})
      }),
      (error) =>
        new DatabaseUnavailable({
          message: `cannot prepare the inbox's table in ${database.description}: ${describe(error)}`,
          hint: "the database user needs the right to create a table (the inbox makes its own on start)"
        })
    ).pipe(
      // Before the inbox migrates or purges it, and before any worker runs the example handler on it.
      Layer.provideMerge(
        Database.layer(database).pipe(
          Layer.tap((context) => Effect.provide(Ownership.claim(use, database.description), context))
        )
      ),
      // Built here as one layer: Effect 4 memoizes it, the workers and the server share it, and the line below is
      // said once (a `Layer.tap` on a layer used twice runs twice).
      (composed) =>
        Layer.effectContext(
          Effect.tap(
            Layer.build(composed),
            () => Effect.logInfo(`inbox: ${database.description}, ${settings.mode} mode`)
          )
        )
    )
    const concurrency = settings.mode === "queued" ? settings.workers : Math.min(2, settings.workers)
    // With the inspector only, no worker: another application's workers process its deliveries.
    const workers = use.inspectOnly
      ? Layer.empty
      // WEBHOOK_WORKERS and WEBHOOK_TIMEOUT are checked by the config: an IllegalArgumentException is a defect.
      : WebhookInbox.layerWorker({ handle: timedUnlessOff(settings, handler), timeout: settings.timeout, concurrency })
        .pipe(Layer.orDie)
    return Layer.merge(Layer.provide(workers, inbox), inbox)
  }))
}
