/**
 * The ready-to-run receiver behind `npm start`: the lean Node listener on `node:http`, `/healthz`,
 * the secret from `OPENAI_WEBHOOK_SECRET` (or a generated development secret), graceful shutdown.
 *
 * @internal
 */
import { randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Match from "effect/Match"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { Delivery } from "../Webhooks.js"
import type { UnwrapWebhookEvent } from "../WebhookEvent.js"
import * as WebhookHttp from "../WebhookHttp.js"
import * as WebhookInbox from "../WebhookInbox.js"
import * as WebhookSecret from "../WebhookSecret.js"
import * as Database from "./database.js"

export interface ReceiverConfig {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly timeout: Duration.Duration
  readonly maxBodySize: number
  readonly mode: WebhookInbox.Mode
  readonly lease: Duration.Duration
  readonly databaseUrl: string | undefined
  readonly workers: number
}

export const config: Config.Config<ReceiverConfig> = Config.all({
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  port: Config.port("PORT").pipe(Config.withDefault(8787)),
  path: Config.string("WEBHOOK_PATH").pipe(Config.withDefault(WebhookHttp.DEFAULT_PATH)),
  timeout: Config.duration("WEBHOOK_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  maxBodySize: Config.integer("WEBHOOK_MAX_BODY_SIZE").pipe(Config.withDefault(WebhookHttp.DEFAULT_MAX_BODY_SIZE)),
  mode: Config.literal("inline", "queued")("WEBHOOK_MODE").pipe(Config.withDefault("inline" as const)),
  lease: Config.duration("WEBHOOK_LEASE").pipe(Config.withDefault(Duration.minutes(2))),
  databaseUrl: Config.string("DATABASE_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
  workers: Config.integer("WEBHOOK_WORKERS").pipe(Config.withDefault(4))
})

/**
 * The example handler: one branch per event family. Put your work where the debug lines are; a
 * failure here answers 500 and OpenAI retries. The receiver itself logs one line per delivery.
 */
const dispatch = Match.type<UnwrapWebhookEvent>().pipe(
  Match.tagStartsWith("response.", (event) => Effect.logDebug(`response ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("batch.", (event) => Effect.logDebug(`batch ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("eval.run.", (event) => Effect.logDebug(`eval run ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("fine_tuning.job.", (event) => Effect.logDebug(`fine-tuning job ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("video.", (event) => Effect.logDebug(`video ${event.data.id}: ${event._tag}`)),
  Match.tag("realtime.call.incoming", (event) => Effect.logDebug(`realtime call ${event.data.callId} is ringing`)),
  Match.tag("live.call.incoming", "live.transport.incoming", (event) =>
    Effect.logDebug(`live session ${event.data.sessionId} is ringing`)),
  Match.tagStartsWith("agent.environment.", (event) => Effect.logDebug(`environment ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("agent.session.", (event) => Effect.logDebug(`session ${event.data.id}: ${event._tag}`)),
  Match.tagStartsWith("safety.", (event) => Effect.logDebug(`safety notice ${event.data.id}: ${event._tag}`)),
  Match.tag("unknown", (event) => Effect.logDebug(`an event type this version does not know: ${event.type}`)),
  Match.exhaustive
)

// The matcher is built once; building it per delivery would cost more than the dispatch itself.
export const handle = (event: UnwrapWebhookEvent, _delivery: Delivery): Effect.Effect<void> => dispatch(event)

/**
 * The secret from `OPENAI_WEBHOOK_SECRET`; when it is unset, a fresh development secret, printed once
 * so that a fresh clone works with one command.
 */
export const SecretLive: Layer.Layer<WebhookSecret.WebhookSecret, unknown> = Layer.unwrapEffect(
  Effect.map(Config.option(Config.redacted("OPENAI_WEBHOOK_SECRET")), (configured) => {
    if (Option.isSome(configured)) return WebhookSecret.layerConfig()
    const secret = `whsec_${randomBytes(32).toString("base64")}`
    return Layer.effectDiscard(
      Console.error(
        [
          "",
          "  OPENAI_WEBHOOK_SECRET is not set, so this run uses a development secret made just now:",
          "",
          `    ${secret}`,
          "",
          "  Send it signed test deliveries:",
          "",
          `    npx openai-webhooks send response.completed --secret ${secret}`,
          "",
          "  Deliveries from OpenAI will be rejected (401) until you start the receiver with your endpoint's",
          "  signing secret:",
          "",
          "    OPENAI_WEBHOOK_SECRET=whsec_... npm start",
          ""
        ].join("\n")
      )
    ).pipe(Layer.provideMerge(WebhookSecret.layer(Redacted.make(secret))))
  })
)

const HEALTHY = JSON.stringify({ status: "ok" })
const NOT_FOUND = JSON.stringify({ error: { type: "NotFound" } })

const listen = (server: Server, host: string, port: number) =>
  Effect.async<AddressInfo, Error>((resume) => {
    const onError = (error: Error) => resume(Effect.fail(error))
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

export const ServerLive: Layer.Layer<never, unknown, WebhookSecret.WebhookSecret> = Layer.scopedDiscard(
  Effect.gen(function*() {
    const settings = yield* config
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
      if (path === "/healthz") return void response.writeHead(200, { "content-type": "application/json" }).end(HEALTHY)
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

/**
 * The inbox on the database `DATABASE_URL` names, in `WEBHOOK_MODE`; in queued mode, the workers too.
 */
export const InboxLive: Layer.Layer<WebhookInbox.WebhookInbox, unknown> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const settings = yield* config
    const database = yield* Database.fromUrl(settings.databaseUrl)
    yield* Effect.logInfo(`inbox: ${database.description}, ${settings.mode} mode`)
    const inbox = WebhookInbox.layerSql({ mode: settings.mode, lease: settings.lease }).pipe(
      Layer.provide(database.layer)
    )
    return settings.mode === "queued"
      ? Layer.merge(WebhookInbox.layerWorker({ handle, timeout: settings.timeout, concurrency: settings.workers }).pipe(Layer.provide(inbox)), inbox)
      : inbox
  })
)

export const MainLive: Layer.Layer<never, unknown> = ServerLive.pipe(Layer.provide(Layer.merge(SecretLive, InboxLive)))
