/**
 * One HTTP server of bench/http.ts, in its own process: `tsx bench/http-server.ts <kind> <port>`.
 * Prints "ready" on stderr once it listens. Every kind answers a valid delivery 200 and a bad one 401.
 * The peers (floor, sdk, sdk-durable) and the Effect 3 edition's mounting styles are here; the receiver's
 * (listener, receiver) are packages/cli/bench/http-server.ts, on Effect 4 as the applications are.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { NodeHttpServer } from "@effect/platform-node"
import Sqlite from "better-sqlite3"
import { Effect, Layer, Logger } from "effect"
import OpenAI from "openai"
import { WebhookHttp, WebhookSecret } from "../src/index.js"
import { SECRET, verifiedByHand } from "./by-hand.js"

export { SECRET }

const [kind = "layer-router", portArg = "8788"] = process.argv.slice(2)
const port = Number(portArg)
const ready = () => process.stderr.write("ready\n")
// Exit cleanly on SIGTERM, so that node --cpu-prof writes its profile.
process.once("SIGTERM", () => process.exit(0))

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => resolve(Buffer.concat(chunks)))
    request.on("error", reject)
  })

const bare = (verify: (body: Buffer, request: IncomingMessage) => Promise<boolean> | boolean) =>
  createServer(async (request, response) => {
    const body = await readBody(request)
    const ok = await Promise.resolve(verify(body, request)).catch(() => false)
    response.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? "{\"received\":true}" : "{}")
  }).listen(port, "127.0.0.1", ready)

const client = new OpenAI({ apiKey: "unused", webhookSecret: SECRET })

const SecretLive = WebhookSecret.layer(SECRET)
/** What the platform floors answer, built once: the bytes our handler answers a delivery with. */
const floorResponse = Effect.succeed(
  HttpServerResponse.text("{\"received\":true}", { contentType: "application/json" })
)
const quietListenLog = Layer.effectDiscard(Effect.sync(ready))
// One logfmt line per delivery (to stdout, which the bench discards), as the Effect 4 edition's rows log
// (packages/effect4/bench/http-server.ts); the receiver's own servers are packages/cli/bench/http-server.ts.
const logs = Logger.logFmt
const handle = () => Effect.void

/** Runs a server layer until killed, saying "ready" once it is built. */
const launch = (server: Layer.Layer<never, unknown>) =>
  Layer.launch(server.pipe(Layer.provideMerge(quietListenLog))).pipe(Effect.provide(logs), Effect.runFork)

switch (kind) {
  case "floor":
    bare((body, request) => verifiedByHand(body, request.headers))
    break
  case "sdk":
    bare(async (body, request) => (await client.webhooks.unwrap(body.toString("utf8"), request.headers as any)) !== null)
    break
  case "sdk-durable": {
    // The SDK plus the durable dedupe a careful user writes by hand: one SQLite file (WAL, synchronous = FULL, so
    // that a 200 survives a power loss, as our inbox promises), a claim row committed before the handler runs (a
    // copy of a claimed delivery answers 200 without running it), the row marked done after it, then the 200; a
    // failed handler gives its claim back, so that OpenAI's retry runs it again. Statements prepared once.
    // BENCH_SQLITE_FILE puts the file where the bench removes it; otherwise a temp dir removed on SIGTERM.
    const own = process.env["BENCH_SQLITE_FILE"] === undefined
      ? mkdtempSync(join(tmpdir(), "openai-webhooks-sdk-durable-"))
      : undefined
    if (own !== undefined) process.once("exit", () => rmSync(own, { recursive: true, force: true }))
    const db = new Sqlite(own === undefined ? process.env["BENCH_SQLITE_FILE"]! : join(own, "webhooks.sqlite"))
    db.pragma("journal_mode = WAL")
    db.pragma("synchronous = FULL")
    db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      webhook_id TEXT PRIMARY KEY, status TEXT NOT NULL, received_at INTEGER NOT NULL
    )`)
    const claim = db.prepare(
      "INSERT INTO webhooks (webhook_id, status, received_at) VALUES (?, 'processing', ?) ON CONFLICT DO NOTHING"
    )
    const done = db.prepare("UPDATE webhooks SET status = 'done' WHERE webhook_id = ?")
    const release = db.prepare("DELETE FROM webhooks WHERE webhook_id = ? AND status = 'processing'")
    // The work a receiver does per event: here, none beyond looking at it (the receiver's handler logs a line).
    const handler = async (event: { readonly type: string }) => event.type.length
    const reply = (response: ServerResponse, status: number) =>
      response.writeHead(status, { "content-type": "application/json" }).end(
        status === 200 ? "{\"received\":true}" : "{}"
      )
    createServer(async (request, response) => {
      const body = await readBody(request)
      let event: { readonly type: string }
      try {
        event = await client.webhooks.unwrap(body.toString("utf8"), request.headers as any)
      } catch {
        return reply(response, 401)
      }
      const id = String(request.headers["webhook-id"])
      if (claim.run(id, Date.now()).changes === 0) return reply(response, 200)
      try {
        await handler(event)
      } catch {
        release.run(id)
        return reply(response, 500)
      }
      done.run(id)
      reply(response, 200)
    }).listen(port, "127.0.0.1", ready)
    break
  }
  case "layer-router":
    launch(
      HttpLayerRouter.serve(WebhookHttp.layerRoute({ handle }), { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provide(SecretLive),
        Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
      )
    )
    break
  case "http-app":
    launch(
      HttpRouter.empty.pipe(
        HttpRouter.all(WebhookHttp.DEFAULT_PATH, WebhookHttp.toHttpApp({ handle })),
        HttpServer.serve(),
        Layer.provide(SecretLive),
        Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
      )
    )
    break
  case "platform-layer-router":
    // The platform's floor for layerRoute: a route that answers 200 without reading the body.
    launch(
      HttpLayerRouter.serve(HttpLayerRouter.add("*", WebhookHttp.DEFAULT_PATH, floorResponse), {
        disableLogger: true,
        disableListenLog: true
      }).pipe(Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })))
    )
    break
  case "platform-http-router":
    // The platform's floor for toHttpApp: the same on the classic router.
    launch(
      HttpRouter.empty.pipe(
        HttpRouter.all(WebhookHttp.DEFAULT_PATH, floorResponse),
        HttpServer.serve(),
        Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
      )
    )
    break
  case "platform-hand":
    // What a user writes by hand on the classic router: read the body, check its HMAC, parse it, answer. The ceiling
    // for our platform styles on this platform (they do that and more: lookups, tolerance, decoding, a log line).
    launch(
      HttpRouter.empty.pipe(
        HttpRouter.post(
          WebhookHttp.DEFAULT_PATH,
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const body = Buffer.from(yield* request.arrayBuffer)
            return verifiedByHand(body, request.headers)
              ? HttpServerResponse.text("{\"received\":true}", { contentType: "application/json" })
              : HttpServerResponse.text("{}", { status: 401, contentType: "application/json" })
          }).pipe(Effect.orDie)
        ),
        HttpServer.serve(),
        Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
      )
    )
    break
  default:
    throw new Error(`unknown server kind ${kind}`)
}
