/**
 * End to end over real HTTP on loopback ports: every mounting style of `WebhookHttp` answers, logs,
 * traces and counts deliveries the same way. Requests are signed with `WebhookTesting`; nothing is mocked.
 */
import * as http from "node:http"
import { assert, describe, it } from "@effect/vitest"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import {
  Cause,
  Context,
  Deferred,
  Effect,
  Exit,
  Layer,
  Logger,
  Metric,
  MetricState,
  Option,
  Tracer,
  type Scope
} from "effect"
import { listenLoopback } from "./support/http.js"
import { WebhookHttp, WebhookSecret, WebhookTesting, type WebhookEvent, type Webhooks } from "../src/index.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const PATH = WebhookHttp.DEFAULT_PATH

const Secret = WebhookSecret.layer(secret)

// Observability: what a delivery leaves behind in logs and traces.

interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

class RecordedSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly spanId = Math.random().toString(16).slice(2)
  readonly traceId: string
  readonly sampled = true
  readonly attributes = new Map<string, unknown>()
  readonly links: Array<Tracer.SpanLink>
  status: Tracer.SpanStatus
  constructor(
    readonly name: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint,
    readonly kind: Tracer.SpanKind
  ) {
    this.traceId = Option.match(parent, { onNone: () => this.spanId, onSome: (span) => span.traceId })
    this.links = [...links]
    this.status = { _tag: "Started", startTime }
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
  }
  attribute(key: string, value: unknown): void {
    this.attributes.set(key, value)
  }
  event(): void {}
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }
}

interface Observed {
  readonly lines: Array<LogLine>
  readonly spans: Array<RecordedSpan>
  readonly layer: Layer.Layer<never>
}

/** A logger and a tracer that record everything, as a layer for the server or runtime under test. */
const observe = (): Observed => {
  const lines: Array<LogLine> = []
  const spans: Array<RecordedSpan> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(annotations),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
    })
  })
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const span = new RecordedSpan(name, parent, context, links, startTime, kind)
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  return { lines, spans, layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Layer.setTracer(tracer)) }
}

const textOf = (line: LogLine): string => [line.message, JSON.stringify(line.annotations), line.cause].join(" ")

/** `openai_webhook_deliveries_total` for one outcome and event type, read from the metric registry. */
const deliveries = (outcome: string, eventType: string) =>
  Effect.map(Metric.snapshot, (pairs) => {
    let total = 0
    for (const { metricKey, metricState } of pairs) {
      if (metricKey.name !== "openai_webhook_deliveries_total" || !MetricState.isCounterState(metricState)) continue
      const tags = Object.fromEntries(metricKey.tags.map((tag) => [tag.key, tag.value]))
      if (tags["outcome"] === outcome && tags["event_type"] === eventType) total += Number(metricState.count)
    }
    return total
  })

// Mounting styles: each builds a live endpoint in the test's scope.

/** `duplex: "half"` lets fetch and Request take a stream body (Node's undici requires it). */
type Init = RequestInit & { readonly duplex?: "half" }

interface Endpoint {
  /** Sends one request to the webhook endpoint. */
  readonly fetch: (init: Init) => Promise<Response>
  /** The endpoint's URL when it is served over node:http (every style but a bare web handler). */
  readonly url: string | undefined
}

interface Style {
  readonly name: string
  /** Whether it is served over a connection (all but a web handler called directly). */
  readonly connected: boolean
  readonly mount: <E>(
    options: WebhookHttp.Options<E, never>,
    observability: Layer.Layer<never>
  ) => Effect.Effect<Endpoint, unknown, Scope.Scope>
}

const overHttp = (port: number): Endpoint => {
  const url = `http://127.0.0.1:${port}${PATH}`
  return { url, fetch: (init) => fetch(url, init) }
}

/** Serves a platform app layer with `@effect/platform-node` on a random loopback port. */
const servePlatform = (
  app: Layer.Layer<never, never, HttpServer.HttpServer | WebhookSecret.WebhookSecret>,
  observability: Layer.Layer<never>
) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      app.pipe(
        Layer.provideMerge(NodeHttpServer.layer(() => http.createServer(), { port: 0, host: "127.0.0.1" })),
        Layer.provide(Secret),
        Layer.provide(observability)
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    assert.strictEqual(address._tag, "TcpAddress")
    return overHttp((address as HttpServer.TcpAddress).port)
  })

/** Serves a plain Node listener on a random loopback port; closing drops every connection. */
const serveNode = (listener: http.RequestListener) => Effect.map(listenLoopback(listener), ({ port }) => overHttp(port))

const webHandler = <E>(options: WebhookHttp.Options<E, never>, observability: Layer.Layer<never>) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => WebhookHttp.toWebHandler({ ...options, layer: Layer.merge(Secret, observability) })),
      ({ dispose }) => Effect.promise(dispose)
    ),
    ({ handler }) => handler
  )

/**
 * node:http in front of a fetch handler, as Bun or Deno would be: the body streams in, and what the
 * handler leaves unread is drained so the connection stays usable.
 */
const fetchAdapter = (handler: (request: Request) => Promise<Response>): http.RequestListener => (req, res) => {
  const headers = new Headers()
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const body = req.method === "GET" || req.method === "HEAD" ? null : new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)))
      req.on("end", () => controller.close())
      req.on("error", (error) => controller.error(error))
    },
    cancel() {
      req.removeAllListeners("data").removeAllListeners("end").resume()
    }
  })
  const init: Init = { method: req.method ?? "GET", headers, body, duplex: "half" }
  const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, init)
  handler(request).then(
    async (response) => {
      const bytes = Buffer.from(await response.arrayBuffer())
      res.writeHead(response.status, Object.fromEntries(response.headers)).end(bytes)
    },
    (error) => res.writeHead(502).end(String(error))
  )
}

const styles: ReadonlyArray<Style> = [
  {
    name: "toHttpApp on the classic HttpRouter",
    connected: true,
    mount: (options, observability) =>
      servePlatform(
        HttpRouter.empty.pipe(HttpRouter.all(PATH, WebhookHttp.toHttpApp(options)), HttpServer.serve()),
        observability
      )
  },
  {
    name: "layerRoute on HttpLayerRouter",
    connected: true,
    // The platform's access log is the application's choice and adds a line of its own: off here.
    mount: (options, observability) =>
      servePlatform(
        HttpLayerRouter.serve(WebhookHttp.layerRoute(options), { disableLogger: true, disableListenLog: true }),
        observability
      )
  },
  {
    name: "toWebHandler called with a Request",
    connected: false,
    mount: (options, observability) =>
      Effect.map(webHandler(options, observability), (handler): Endpoint => ({
        url: undefined,
        fetch: (init) => handler(new Request(`http://127.0.0.1${PATH}`, init))
      }))
  },
  {
    name: "toWebHandler behind node:http",
    connected: true,
    mount: (options, observability) =>
      Effect.flatMap(webHandler(options, observability), (handler) => serveNode(fetchAdapter(handler)))
  },
  {
    name: "makeNodeListener on node:http",
    connected: true,
    mount: (options, observability) =>
      WebhookHttp.makeNodeListener(options).pipe(
        Effect.provide(Layer.merge(Secret, observability)),
        Effect.flatMap(serveNode)
      )
  }
]

// Deliveries and replies.

interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: string
}

interface Harness extends Observed {
  readonly url: string | undefined
  readonly send: (init: Init) => Effect.Effect<Reply>
  readonly post: (signed: WebhookTesting.Signed) => Effect.Effect<Reply>
}

const mount = <E>(style: Style, options: WebhookHttp.Options<E, never>) =>
  Effect.gen(function*() {
    const observed = observe()
    const endpoint = yield* Effect.orDie(style.mount(options, observed.layer))
    const send = (init: Init) =>
      Effect.promise(async (): Promise<Reply> => {
        const response = await endpoint.fetch(init)
        return { status: response.status, headers: response.headers, body: await response.text() }
      })
    const post = (signed: WebhookTesting.Signed) =>
      send({ method: "POST", headers: signed.headers, body: bodyOf(signed) })
    const harness: Harness = { ...observed, url: endpoint.url, send, post }
    return harness
  })

interface Seen {
  readonly event: WebhookEvent.UnwrapWebhookEvent
  readonly delivery: Webhooks.Delivery
}

/** A handler that records what it is given and succeeds. */
const recorder = () => {
  const seen: Array<Seen> = []
  const handle = (event: WebhookEvent.UnwrapWebhookEvent, delivery: Webhooks.Delivery) =>
    Effect.sync(() => {
      seen.push({ event, delivery })
    })
  return { seen, handle }
}

const signed = (type: WebhookEvent.EventType = "response.completed", signWith: string = secret) =>
  WebhookTesting.sign({ event: WebhookTesting.sample(type), secret: signWith })

const signedPayload = (payload: string, signWith: string = secret) => WebhookTesting.sign({ payload, secret: signWith })

/** A valid `response.completed` body padded with JSON whitespace to exactly `size` bytes. */
const paddedTo = (size: number): string => {
  const body = WebhookTesting.encode(WebhookTesting.sample("response.completed"))
  return body + " ".repeat(size - Buffer.byteLength(body))
}

/** The body as a stream of 1 KiB chunks: fetch sends it chunked, with no content-length. */
const chunked = (body: string | Uint8Array): ReadableStream<Uint8Array> => {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 1024) controller.enqueue(bytes.slice(i, i + 1024))
      controller.close()
    }
  })
}

/** The body as fetch takes it. */
const bodyOf = (delivery: WebhookTesting.Signed): string | Uint8Array<ArrayBuffer> =>
  typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)

const idOf = (delivery: WebhookTesting.Signed): string => delivery.headers["webhook-id"]

const parse = (reply: Reply): unknown => JSON.parse(reply.body)

const assertJson = (reply: Reply) => assert.match(reply.headers.get("content-type") ?? "", /^application\/json/)

/** The one log line of a delivery. */
const lineOf = (lines: ReadonlyArray<LogLine>, webhookId: string): LogLine => {
  const found = lines.filter((line) => line.annotations["webhook_id"] === webhookId)
  assert.strictEqual(found.length, 1, `one log line for ${webhookId}, got ${JSON.stringify(found)}`)
  return found[0]!
}

// node:http requests on an explicit agent, to see whether a connection is reused.

interface NodeReply {
  readonly status: number
  readonly body: string
  readonly reusedSocket: boolean
}

const nodePost = (
  url: string,
  agent: http.Agent,
  delivery: WebhookTesting.Signed,
  transfer: "content-length" | "chunked"
) =>
  Effect.async<NodeReply, Error>((resume) => {
    const body = Buffer.from(delivery.body)
    const headers: Record<string, string> = transfer === "chunked"
      ? { ...delivery.headers, "transfer-encoding": "chunked" }
      : { ...delivery.headers, "content-length": String(body.length) }
    const request = http.request(url, { method: "POST", agent, headers }, (response) => {
      const chunks: Array<Buffer> = []
      response.on("data", (chunk: Buffer) => chunks.push(chunk))
      response.on("error", (error) => resume(Effect.fail(error)))
      response.on("end", () =>
        resume(Effect.succeed({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          reusedSocket: request.reusedSocket
        })))
    })
    request.on("error", (error) => resume(Effect.fail(error)))
    if (transfer === "chunked") {
      request.write(body.subarray(0, 1024))
      request.end(body.subarray(1024))
    } else {
      request.end(body)
    }
  })

const oneConnection = Effect.acquireRelease(
  Effect.sync(() => new http.Agent({ keepAlive: true, maxSockets: 1 })),
  (agent) => Effect.sync(() => agent.destroy())
)

// The suite, once per mounting style.

for (const style of styles) {
  describe(style.name, () => {
    it.scopedLive("answers 200 {received:true} and gives the handler the decoded event and the delivery", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const delivery = yield* signed("response.completed")
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 200)
        assertJson(reply)
        assert.deepStrictEqual(parse(reply), { received: true })
        assert.strictEqual(seen.length, 1)
        const [{ delivery: given, event }] = seen as [Seen]
        assert.strictEqual(event._tag, "response.completed")
        assert.deepStrictEqual(event, WebhookTesting.sample("response.completed"))
        assert.deepStrictEqual(given, {
          id: delivery.headers["webhook-id"],
          timestamp: Number(delivery.headers["webhook-timestamp"])
        })
      }))

    it.scopedLive("hands an event of a type it does not know to the handler as unknown", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const body = JSON.stringify({ id: "evt_new", created_at: 1719168000, type: "brand.new", data: {} })
        const delivery = yield* signedPayload(body)
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 200)
        const event = seen[0]?.event
        assert.strictEqual(event?._tag, "unknown")
        assert.strictEqual(event?._tag === "unknown" ? event.type : undefined, "brand.new")
        assert.strictEqual(lineOf(server.lines, idOf(delivery)).annotations["event_type"], "brand.new")
      }))

    it.scopedLive("answers 405 with allow: POST to any other method, without calling the handler", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const delivery = yield* signed()
        for (const method of ["GET", "PUT", "DELETE"]) {
          const reply = yield* server.send(
            method === "GET" ? { method } : { method, headers: delivery.headers, body: bodyOf(delivery) }
          )
          assert.strictEqual(reply.status, 405, method)
          assert.strictEqual(reply.headers.get("allow"), "POST")
          assertJson(reply)
          assert.deepStrictEqual(parse(reply), {
            error: { type: "MethodNotAllowed", message: "Webhook deliveries are POST requests" }
          })
        }
        assert.strictEqual(seen.length, 0)
        assert.deepStrictEqual(server.lines.map((line) => line.message), Array(3).fill("method_not_allowed"))
      }))

    it.scopedLive("answers 401 NoMatchingSignature to a delivery signed with another secret", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const reply = yield* server.post(yield* signed("response.completed", otherSecret))
        assert.strictEqual(reply.status, 401)
        assertJson(reply)
        assert.deepStrictEqual(parse(reply), { error: { type: "SignatureError", reason: "NoMatchingSignature" } })
        assert.strictEqual(seen.length, 0)
      }))

    it.scopedLive("answers 401 MissingHeader to an unsigned POST", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const body = WebhookTesting.encode(WebhookTesting.sample("response.completed"))
        const reply = yield* server.send({ method: "POST", headers: { "content-type": "application/json" }, body })
        assert.strictEqual(reply.status, 401)
        assert.deepStrictEqual(parse(reply), { error: { type: "SignatureError", reason: "MissingHeader" } })
        assert.strictEqual(seen.length, 0)
        assert.strictEqual(server.lines[0]?.annotations["webhook_id"], "none")
      }))

    it.scopedLive("answers 401 TimestampTooOld to a delivery signed 10 minutes ago, 200 with tolerance 15 min", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const strict = yield* mount(style, { handle })
        const lenient = yield* mount(style, { handle, tolerance: "15 minutes" })
        const delivery = yield* WebhookTesting.sign({
          event: WebhookTesting.sample("batch.completed"),
          secret,
          timestamp: new Date(Date.now() - 10 * 60_000)
        })
        const rejected = yield* strict.post(delivery)
        assert.strictEqual(rejected.status, 401)
        assert.deepStrictEqual(parse(rejected), { error: { type: "SignatureError", reason: "TimestampTooOld" } })
        assert.strictEqual(seen.length, 0)
        const accepted = yield* lenient.post(delivery)
        assert.strictEqual(accepted.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.scopedLive("answers 400 to an authentic body that is not JSON and logs it at error level with the body", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const payload = "{\"id\": \"evt_cut\", \"type\": \"response.comp"
        const delivery = yield* signedPayload(payload)
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 400)
        assertJson(reply)
        assert.deepStrictEqual(parse(reply), { error: { type: "DecodeError", reason: "InvalidJson" } })
        assert.strictEqual(seen.length, 0)
        const line = lineOf(server.lines, idOf(delivery))
        assert.strictEqual(line.message, "invalid")
        assert.strictEqual(line.level, "ERROR")
        assert.strictEqual(line.annotations["body"], payload)
      }))

    it.scopedLive("answers 400 to a known event type with the wrong shape, logging its event type and raw body", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const payload = JSON.stringify({ id: "evt_bad", created_at: 1719168000, type: "response.completed", data: {} })
        const delivery = yield* signedPayload(payload)
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 400)
        assert.deepStrictEqual(parse(reply), { error: { type: "DecodeError", reason: "InvalidEvent" } })
        assert.strictEqual(seen.length, 0)
        const line = lineOf(server.lines, idOf(delivery))
        assert.strictEqual(line.message, "invalid")
        assert.strictEqual(line.level, "ERROR")
        assert.strictEqual(line.annotations["event_type"], "response.completed")
        assert.strictEqual(line.annotations["body"], payload)
      }))

    it.scopedLive("answers 500 when the handler fails, logs the cause, and answers 200 to the next delivery", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, {
          handle: (event, delivery) =>
            event._tag === "response.failed" ? Effect.fail(new Error("the database is down")) : handle(event, delivery)
        })
        const failing = yield* signed("response.failed")
        const reply = yield* server.post(failing)
        assert.strictEqual(reply.status, 500)
        assertJson(reply)
        assert.deepStrictEqual(parse(reply), {
          error: { type: "HandlerError", message: "The delivery was not processed; it will be retried" }
        })
        const line = lineOf(server.lines, idOf(failing))
        assert.strictEqual(line.message, "failed")
        assert.strictEqual(line.level, "ERROR")
        assert.strictEqual(line.annotations["event_type"], "response.failed")
        assert.include(line.cause, "the database is down")
        const next = yield* server.post(yield* signed("response.completed"))
        assert.strictEqual(next.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.scopedLive("answers 500 when the handler dies, logs the defect, and answers 200 to the next delivery", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, {
          handle: (event, delivery) =>
            event._tag === "video.failed" ? Effect.die(new Error("kaput: a bug")) : handle(event, delivery)
        })
        const dying = yield* signed("video.failed")
        const reply = yield* server.post(dying)
        assert.strictEqual(reply.status, 500)
        assert.strictEqual((parse(reply) as { error: { type: string } }).error.type, "HandlerError")
        const line = lineOf(server.lines, idOf(dying))
        assert.strictEqual(line.message, "failed")
        assert.include(line.cause, "kaput: a bug")
        const next = yield* server.post(yield* signed("video.completed"))
        assert.strictEqual(next.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.scopedLive("answers 500 when the handler outlives its timeout, interrupts it and says so in the log", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const interrupted = yield* Deferred.make<void>()
        const server = yield* mount(style, {
          timeout: "50 millis",
          handle: (event, delivery) =>
            event._tag === "batch.expired"
              ? Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
              : handle(event, delivery)
        })
        const stuck = yield* signed("batch.expired")
        const reply = yield* server.post(stuck)
        assert.strictEqual(reply.status, 500)
        yield* Deferred.await(interrupted)
        const line = lineOf(server.lines, idOf(stuck))
        assert.strictEqual(line.message, "failed")
        assert.strictEqual(line.level, "ERROR")
        assert.strictEqual(line.annotations["event_type"], "batch.expired")
        assert.include(String(line.annotations["error"]), "did not finish within 50ms")
        const next = yield* server.post(yield* signed("batch.completed"))
        assert.strictEqual(next.status, 200)
        assert.strictEqual(seen.length, 1)
      }))

    it.scopedLive("handles 20 deliveries at the same time, each once", () =>
      Effect.gen(function*() {
        const count = 20
        const seen: Array<string> = []
        const allIn = yield* Deferred.make<void>()
        // Every handler waits until all 20 have started: this only finishes if they run concurrently.
        const server = yield* mount(style, {
          handle: (_event, delivery) =>
            Effect.suspend(() => {
              seen.push(delivery.id)
              return seen.length === count ? Deferred.succeed(allIn, undefined) : Deferred.await(allIn)
            })
        })
        const sent = yield* Effect.forEach(Array.from({ length: count }), () => signed("response.completed"))
        const replies = yield* Effect.forEach(sent, server.post, { concurrency: "unbounded" })
        assert.deepStrictEqual(replies.map((reply) => reply.status), Array(count).fill(200))
        assert.deepStrictEqual([...seen].sort(), sent.map(idOf).sort())
        assert.strictEqual(server.lines.length, count)
        for (const delivery of sent) assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "processed")
      }))

    describe("with maxBodySize 1024", () => {
      const big = signedPayload(paddedTo(4096))

      it.scopedLive("accepts a body of exactly 1024 bytes", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const server = yield* mount(style, { handle, maxBodySize: 1024 })
          const reply = yield* server.post(yield* signedPayload(paddedTo(1024)))
          assert.strictEqual(reply.status, 200)
          assert.strictEqual(seen.length, 1)
        }))

      it.scopedLive("answers 413 to a 4 KiB body sent with content-length", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const server = yield* mount(style, { handle, maxBodySize: 1024 })
          const delivery = yield* big
          // fetch sets content-length itself; a bare Request carries it as a server runtime would.
          const headers = style.connected ? delivery.headers : { ...delivery.headers, "content-length": "4096" }
          const reply = yield* server.send({ method: "POST", headers, body: bodyOf(delivery) })
          assert.strictEqual(reply.status, 413)
          assertJson(reply)
          assert.deepStrictEqual(parse(reply), {
            error: { type: "PayloadTooLarge", message: "The body is larger than 1024 bytes" }
          })
          assert.strictEqual(seen.length, 0)
          assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "too_large")
        }))

      {
        it.scopedLive("answers 413 to a 4 KiB body sent chunked", () =>
          Effect.gen(function*() {
            const { handle, seen } = recorder()
            const server = yield* mount(style, { handle, maxBodySize: 1024 })
            const delivery = yield* big
            const reply = yield* server.send({
              method: "POST",
              headers: delivery.headers,
              body: chunked(delivery.body),
              duplex: "half"
            })
            assert.strictEqual(reply.status, 413)
            assert.strictEqual(seen.length, 0)
            assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "too_large")
          }))
      }

      const transfers = style.connected ? ["content-length", "chunked"] as const : []
      for (const transfer of transfers) {
        it.scopedLive(`keeps the connection usable after a 413 (${transfer})`, () =>
          Effect.gen(function*() {
            const { handle, seen } = recorder()
            const server = yield* mount(style, { handle, maxBodySize: 1024 })
            const url = server.url ?? assert.fail("served over HTTP")
            const agent = yield* oneConnection
            const tooLarge = yield* nodePost(url, agent, yield* big, transfer)
            assert.strictEqual(tooLarge.status, 413)
            const next = yield* nodePost(url, agent, yield* signed(), transfer)
            assert.strictEqual(next.status, 200)
            assert.isTrue(next.reusedSocket, "the second delivery should reuse the first one's connection")
            assert.strictEqual(seen.length, 1)
          }))
      }
    })

    it.scopedLive("logs one line per delivery: the outcome in one word, with webhook_id and event_type", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, {
          maxBodySize: 2048,
          handle: (event) => event._tag === "response.failed" ? Effect.fail("boom") : Effect.void
        })
        const processed = yield* signed("response.completed")
        const rejected = yield* signed("response.completed", otherSecret)
        const invalid = yield* signedPayload("not json")
        const failed = yield* signed("response.failed")
        const tooLarge = yield* signedPayload(paddedTo(4096))
        const statuses = [
          (yield* server.post(processed)).status,
          (yield* server.post(rejected)).status,
          (yield* server.post(invalid)).status,
          (yield* server.post(failed)).status,
          (yield* server.post(tooLarge)).status,
          (yield* server.send({ method: "GET", headers: { "webhook-id": "msg_get" } })).status
        ]
        assert.deepStrictEqual(statuses, [200, 401, 400, 500, 413, 405])
        assert.deepStrictEqual(
          server.lines.map((line) => [line.message, line.level, line.annotations["webhook_id"]]),
          [
            ["processed", "INFO", idOf(processed)],
            ["rejected", "WARN", idOf(rejected)],
            ["invalid", "ERROR", idOf(invalid)],
            ["failed", "ERROR", idOf(failed)],
            ["too_large", "WARN", idOf(tooLarge)],
            ["method_not_allowed", "WARN", "msg_get"]
          ]
        )
        assert.deepStrictEqual(
          server.lines.map((line) => line.annotations["event_type"]),
          ["response.completed", undefined, undefined, "response.failed", undefined, undefined]
        )
        assert.strictEqual(server.lines[1]?.annotations["reason"], "NoMatchingSignature")
        assert.strictEqual(server.lines[2]?.annotations["body"], "not json")
        assert.include(server.lines[3]?.cause, "boom")
      }))

    it.scopedLive("never shows the secret or a signature in a response or a log line", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, {
          maxBodySize: 2048,
          handle: (event) => event._tag === "response.failed" ? Effect.die(new Error("kaput")) : Effect.void
        })
        const wrong = yield* signed("response.completed", otherSecret)
        // The MAC the server computes for `wrong`, which must not be echoed back.
        const expected = yield* WebhookTesting.sign({
          payload: wrong.body,
          secret,
          id: wrong.headers["webhook-id"],
          timestamp: Number(wrong.headers["webhook-timestamp"])
        })
        const deliveries = [
          yield* signed("response.completed"),
          wrong,
          yield* signedPayload("not json"),
          yield* signed("response.failed"),
          yield* signedPayload(paddedTo(4096))
        ]
        const replies = [
          ...(yield* Effect.forEach(deliveries, server.post)),
          yield* server.send({ method: "PUT", headers: wrong.headers, body: bodyOf(wrong) })
        ]
        assert.deepStrictEqual(replies.map((reply) => reply.status), [200, 401, 400, 500, 413, 405])
        const key = Buffer.from(secret.slice("whsec_".length), "base64")
        const forbidden = [
          secret,
          secret.slice("whsec_".length),
          key.toString("hex"),
          expected.headers["webhook-signature"].slice("v1,".length),
          ...deliveries.map((delivery) => delivery.headers["webhook-signature"].slice("v1,".length))
        ]
        const shown = [...replies.map((reply) => reply.body), ...server.lines.map(textOf)]
        for (const text of shown) {
          for (const value of forbidden) assert.notInclude(text, value)
        }
      }))

    it.scopedLive("traces each delivery as an openai.webhook span with its id, outcome and event type", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, { handle: () => Effect.void, maxBodySize: 2048 })
        const processed = yield* signed("eval.run.succeeded")
        const rejected = yield* signed("eval.run.succeeded", otherSecret)
        const tooLarge = yield* signedPayload(paddedTo(4096))
        yield* server.post(processed)
        yield* server.post(rejected)
        yield* server.post(tooLarge)
        yield* server.send({ method: "GET" })
        const spans = server.spans.filter((span) => span.name === "openai.webhook")
        assert.deepStrictEqual(
          spans.map((span) => Object.fromEntries(span.attributes)),
          [
            {
              "openai.webhook.id": idOf(processed),
              "openai.webhook.outcome": "processed",
              "openai.webhook.event_type": "eval.run.succeeded"
            },
            {
              "openai.webhook.id": idOf(rejected),
              "openai.webhook.outcome": "rejected",
              "openai.webhook.event_type": ""
            },
            {
              "openai.webhook.id": idOf(tooLarge),
              "openai.webhook.outcome": "too_large",
              "openai.webhook.event_type": ""
            },
            {
              "openai.webhook.id": "none",
              "openai.webhook.outcome": "method_not_allowed",
              "openai.webhook.event_type": ""
            }
          ]
        )
        for (const span of spans) {
          assert.strictEqual(span.kind, "server")
          assert.strictEqual(span.status._tag, "Ended")
        }
      }))

    it.scopedLive("counts deliveries in openai_webhook_deliveries_total by outcome and event type", () =>
      Effect.gen(function*() {
        const server = yield* mount(style, {
          handle: (event) => event._tag === "fine_tuning.job.failed" ? Effect.fail("no") : Effect.void
        })
        const counted = Effect.all([
          deliveries("processed", "fine_tuning.job.succeeded"),
          deliveries("failed", "fine_tuning.job.failed"),
          deliveries("rejected", "none"),
          deliveries("method_not_allowed", "none")
        ])
        const before = yield* counted
        yield* server.post(yield* signed("fine_tuning.job.succeeded"))
        yield* server.post(yield* signed("fine_tuning.job.succeeded"))
        yield* server.post(yield* signed("fine_tuning.job.failed"))
        yield* server.post(yield* signed("fine_tuning.job.failed", otherSecret))
        yield* server.send({ method: "GET" })
        const after = yield* counted
        assert.deepStrictEqual(after.map((n, i) => n - before[i]!), [2, 1, 1, 1])
      }))
  })
}

describe("makeNodeListener behind a Node body parser", () => {
  /** Reads the body first, as express.raw() or express.json() do, and leaves the result in req.body. */
  const bodyParser = (
    parse: (raw: Buffer) => unknown,
    listener: http.RequestListener
  ): http.RequestListener =>
  (req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      Object.assign(req, { body: parse(Buffer.concat(chunks)) })
      listener(req, res)
    })
  }

  const mountBehind = (parse: (raw: Buffer) => unknown, options: WebhookHttp.Options<never, never>) =>
    Effect.gen(function*() {
      const observed = observe()
      const listener = yield* WebhookHttp.makeNodeListener(options).pipe(
        Effect.provide(Layer.merge(Secret, observed.layer)),
        Effect.orDie
      )
      const endpoint = yield* serveNode(bodyParser(parse, listener))
      const post = (delivery: WebhookTesting.Signed) =>
        Effect.promise(async () => {
          const response = await endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
          return { status: response.status, body: await response.text() }
        })
      return { ...observed, post }
    })

  it.scopedLive("verifies the Buffer that express.raw() leaves in req.body", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind((raw) => raw, { handle })
      const delivery = yield* signed("realtime.call.incoming")
      const reply = yield* server.post(delivery)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(seen[0]?.delivery.id, idOf(delivery))
      assert.strictEqual(seen[0]?.event._tag, "realtime.call.incoming")
    }))

  it.scopedLive("answers 413 to a Buffer in req.body over the limit", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind((raw) => raw, { handle, maxBodySize: 1024 })
      const reply = yield* server.post(yield* signedPayload(paddedTo(4096)))
      assert.strictEqual(reply.status, 413)
      assert.strictEqual(seen.length, 0)
    }))

  it.scopedLive("answers 500 to a body already parsed into an object, logging that a body parser ran first", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind((raw) => JSON.parse(raw.toString("utf8")), { handle })
      const delivery = yield* signed("response.completed")
      const reply = yield* server.post(delivery)
      assert.strictEqual(reply.status, 500)
      assert.strictEqual(seen.length, 0)
      const line = lineOf(server.lines, idOf(delivery))
      assert.strictEqual(line.message, "failed")
      assert.strictEqual(line.level, "ERROR")
      assert.include(String(line.annotations["error"]), "body parser")
      assert.include(String(line.annotations["error"]), "express.raw()")
      const span = server.spans.find((span) => span.name === "openai.webhook")
      assert.strictEqual(span?.attributes.get("openai.webhook.id"), idOf(delivery))
      assert.strictEqual(span?.attributes.get("openai.webhook.outcome"), "failed")
    }))
})
