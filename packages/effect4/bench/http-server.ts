/**
 * One HTTP server of the repository's bench/http.ts built on the Effect 4 edition, in its own process:
 * `tsx packages/effect4/bench/http-server.ts <kind> <port>` (here, so that `effect` resolves to 4). Prints "ready" on
 * stderr once it listens. Every kind answers a valid delivery 200 and a bad one 401; ours log one logfmt line per
 * delivery (to stdout, which the bench discards), as the Effect 3 edition's rows do.
 *
 * - platform-floor: an `effect/http` HttpRouter route answering 200, body unread: what the platform costs;
 * - platform-hand: a hand-written route on the same router that reads the body, checks its HMAC and parses it;
 * - layer-router / http-app: `WebhookHttp.layerRoute` and `toHttpApp` on @effect/platform-node 4;
 * - listener: `WebhookHttp.makeNodeListener` on node:http.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer, Logger } from "effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { SECRET, verifiedByHand } from "../../../bench/by-hand.js"
import { WebhookHttp, WebhookSecret } from "../src/index.js"

const PATH = WebhookHttp.defaultPath

const [kind = "listener", portArg = "8788"] = process.argv.slice(2)
const port = Number(portArg)
const ready = () => process.stderr.write("ready\n")
process.once("SIGTERM", () => process.exit(0))

const SecretLive = WebhookSecret.layer(SECRET)
const Logs = Logger.layer([Logger.consoleLogFmt])
const handle = () => Effect.void
const accepted = () => HttpServerResponse.text("{\"received\":true}", { contentType: "application/json" })

const handWritten = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  return verifiedByHand(Buffer.from(yield* request.arrayBuffer), request.headers) ? accepted() : HttpServerResponse.text("{}", { status: 401, contentType: "application/json" })
}).pipe(Effect.orDie)

/** Serves a router layer on @effect/platform-node 4 until killed. */
const platform = (app: Layer.Layer<never, unknown, any>) =>
  Layer.launch(
    app.pipe(
      Layer.provide(NodeHttpServer.layer(() => createServer(), { port, host: "127.0.0.1" })),
      Layer.provide(Layer.effectDiscard(Effect.sync(ready))),
      Layer.provide(SecretLive),
      Layer.provide(Logs)
    ) as Layer.Layer<never, unknown>
  ).pipe(Effect.runFork)

const quiet = { disableLogger: true, disableListenLog: true } as const

switch (kind) {
  case "platform-floor":
    platform(HttpRouter.serve(HttpRouter.add("POST", PATH, Effect.sync(accepted)), quiet))
    break
  case "platform-hand":
    platform(HttpRouter.serve(HttpRouter.add("POST", PATH, handWritten), quiet))
    break
  case "layer-router":
    platform(HttpRouter.serve(WebhookHttp.layerRoute({ handle }), quiet))
    break
  case "http-app":
    platform(HttpRouter.serve(HttpRouter.add("*", PATH, WebhookHttp.toHttpApp({ handle })), quiet))
    break
  case "listener":
    WebhookHttp.makeNodeListener({ handle }).pipe(
      Effect.provide(SecretLive),
      Effect.provide(Logs),
      Effect.runPromise
    ).then((listener) => createServer(listener).listen(port, "127.0.0.1", ready))
    break
  default:
    throw new Error(`unknown server kind: ${kind}`)
}
