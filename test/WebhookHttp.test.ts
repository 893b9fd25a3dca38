/**
 * End to end over real HTTP on loopback ports: every mounting style of `WebhookHttp` answers, logs,
 * traces and counts deliveries the same way. Requests are signed with `WebhookTesting`; nothing is mocked.
 */
import * as http from "node:http"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import {
  Cause,
  Context,
  Deferred,
  type Duration,
  Effect,
  Either,
  Layer,
  Metric,
  MetricState,
  Option,
  type Scope,
  Stream
} from "effect"
import express from "express"
import { makeApp } from "../examples/express.js"
import {
  type Endpoint,
  fetchAdapter,
  type Init,
  type LogLine,
  type Observed,
  nodeListener,
  observe,
  otherSecret,
  PATH,
  Secret,
  secret,
  serveFastify,
  serveNode,
  servePlatform,
  type Style,
  styles,
  textOf,
  webHandler
} from "./support/mount.js"
import {
  WebhookError,
  WebhookHttp,
  WebhookInbox,
  type WebhookSecret,
  WebhookTesting,
  type WebhookEvent,
  type Webhooks
} from "../src/index.js"
import { oneConnection as newAgent, postOn } from "../packages/engine/test/support/http.js"
import * as Bodies from "../packages/engine/test/tables/bodies.js"
import { replyOf } from "../packages/engine/test/tables/replies.js"

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

/** The engine's POST on an explicit agent (does a request reuse the connection?), and the agent, in the scope. */
const nodePost = (...args: Parameters<typeof postOn>) => Effect.promise(() => postOn(...args))
const oneConnection = Effect.acquireRelease(Effect.sync(newAgent), (agent) => Effect.sync(() => agent.destroy()))

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

    it.scopedLive("answers 400 to a typed field nested 100,000 levels deep, with one invalid line and the body shortened", () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const server = yield* mount(style, { handle })
        const depth = 100_000
        const payload = `{"id":"evt_deep","created_at":1719168000,"type":"response.completed","data":{"id":${
          "[".repeat(depth)
        }${"]".repeat(depth)}}}`
        const delivery = yield* signedPayload(payload)
        const reply = yield* server.post(delivery)
        assert.strictEqual(reply.status, 400)
        assert.deepStrictEqual(parse(reply), { error: { type: "DecodeError", reason: "InvalidEvent" } })
        assert.strictEqual(seen.length, 0)
        const line = lineOf(server.lines, idOf(delivery))
        assert.strictEqual(line.message, "invalid")
        assert.include(String(line.annotations["error"]), "data.id")
        const logged = String(line.annotations["body"])
        assert.isTrue(logged.startsWith(payload.slice(0, 1000)))
        assert.isBelow(logged.length, payload.length)
        assert.match(logged, /\.\.\. \(\d+ more bytes\)$/)
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

    describe(`with maxBodySize ${Bodies.limit}`, () => {
      const big = signedPayload(paddedTo(4 * Bodies.limit))
      // The engine's size rows, each a signed event padded to the row's size (so not the empty body's rows).
      const minimum = Buffer.byteLength(WebhookTesting.encode(WebhookTesting.sample("response.completed")))
      for (const row of Bodies.sizes.filter((row) => row.size >= minimum)) {
        const processed = row.expected._tag === "Body"
        it.scopedLive(`${processed ? "processes" : "answers 413 to"} ${row.name} (${row.size} bytes)`, () =>
          Effect.gen(function*() {
            const { handle, seen } = recorder()
            const server = yield* mount(style, { handle, maxBodySize: Bodies.limit })
            const delivery = yield* signedPayload(paddedTo(row.size))
            const bytes = new TextEncoder().encode(delivery.body as string)
            assert.strictEqual(bytes.byteLength, row.size)
            const reply = yield* row.transfer === "chunked"
              ? server.send({
                method: "POST",
                headers: delivery.headers,
                body: Bodies.chunkedStream(bytes),
                duplex: "half"
              })
              : server.send({
                method: "POST",
                // fetch sets content-length itself; a bare Request carries it as a server runtime would.
                headers: style.connected
                  ? delivery.headers
                  : { ...delivery.headers, "content-length": String(row.size) },
                body: bodyOf(delivery)
              })
            assertJson(reply)
            if (processed) {
              assert.strictEqual(reply.status, 200)
              assert.deepStrictEqual(parse(reply), replyOf("processed").body)
              assert.strictEqual(seen.length, 1)
              assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "processed")
            } else {
              assert.strictEqual(reply.status, 413)
              assert.deepStrictEqual(parse(reply), {
                error: { type: "PayloadTooLarge", message: `The body is larger than ${Bodies.limit} bytes` }
              })
              assert.strictEqual(seen.length, 0)
              assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "too_large")
            }
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
        const series = [
          ["processed", "fine_tuning.job.succeeded"],
          ["failed", "fine_tuning.job.failed"],
          ["rejected", "none"],
          ["method_not_allowed", "none"]
        ] as const
        const counted = Effect.all(series.map(([outcome, eventType]) => deliveries(outcome, eventType)))
        // The same counts, read by reference from WebhookHttp.deliveries rather than by name from the registry.
        const byReference = Effect.map(WebhookHttp.deliveries.snapshot, (counts) =>
          series.map(([outcome, eventType]) =>
            counts.find((count) => count.outcome === outcome && count.eventType === eventType)?.count ?? 0
          ))
        const before = yield* counted
        const beforeByReference = yield* byReference
        yield* server.post(yield* signed("fine_tuning.job.succeeded"))
        yield* server.post(yield* signed("fine_tuning.job.succeeded"))
        yield* server.post(yield* signed("fine_tuning.job.failed"))
        yield* server.post(yield* signed("fine_tuning.job.failed", otherSecret))
        yield* server.send({ method: "GET" })
        const after = yield* counted
        assert.deepStrictEqual(after.map((n, i) => n - before[i]!), [2, 1, 1, 1])
        assert.deepStrictEqual(yield* byReference, after)
        assert.deepStrictEqual((yield* byReference).map((n, i) => n - beforeByReference[i]!), [2, 1, 1, 1])
      }))
  })
}

describe("openai_webhook_deliveries_total", () => {
  /** The number of series the metric registry holds for the delivery counter. */
  const series = Effect.map(
    Metric.snapshot,
    (pairs) => pairs.filter(({ metricKey }) => metricKey.name === "openai_webhook_deliveries_total")
  )

  it.scopedLive("counts every event type it does not know under event_type unknown: the series stay bounded", () =>
    Effect.gen(function*() {
      const observed = observe()
      const endpoint = yield* Effect.orDie(
        Effect.flatMap(nodeListener({ handle: () => Effect.void }, observed.layer), serveNode)
      )
      const count = 120
      const types = Array.from({ length: count }, (_, i) => `brand.new.${i}.${Math.random().toString(36).slice(2)}`)
      const before = yield* series
      const processedBefore = yield* deliveries("processed", "unknown")
      const invalidBefore = yield* deliveries("invalid", "unknown")
      const statuses = yield* Effect.forEach(types, (type, i) =>
        Effect.flatMap(
          // Every other one is authentic but not an event (no id): its type is on the wire all the same.
          signedPayload(JSON.stringify(i % 2 === 0 ? { id: `evt_${i}`, created_at: 1, type, data: {} } : { type })),
          (delivery) =>
            Effect.promise(() =>
              endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
                .then((response) => response.status)
            )
        ), { concurrency: 8 })
      assert.deepStrictEqual(statuses, types.map((_, i) => (i % 2 === 0 ? 200 : 400)))
      const after = yield* series
      const tagged = new Set(after.flatMap(({ metricKey }) => metricKey.tags.map((tag) => tag.value)))
      for (const type of types) assert.isFalse(tagged.has(type), `a series for ${type}`)
      assert.isAtMost(after.length - before.length, 2)
      assert.strictEqual((yield* deliveries("processed", "unknown")) - processedBefore, count / 2)
      assert.strictEqual((yield* deliveries("invalid", "unknown")) - invalidBefore, count / 2)
      // The log line still names the wire type: only the metric folds them together.
      assert.deepStrictEqual(
        observed.lines.map((line) => line.annotations["event_type"]).sort(),
        [...types].sort()
      )
    }))
})

describe("makeNodeListener behind a framework's body parser", () => {
  /** The listener behind `serve`, with what it logs and traces. */
  const mountBehind = (
    serve: (
      listener: http.RequestListener
    ) => Effect.Effect<{ readonly url: string | undefined }, unknown, Scope.Scope>,
    options: WebhookHttp.Options<never, never>
  ) =>
    Effect.gen(function*() {
      const observed = observe()
      const listener = yield* Effect.orDie(nodeListener(options, observed.layer))
      const { url } = yield* Effect.orDie(serve(listener))
      const post = (delivery: WebhookTesting.Signed) =>
        Effect.promise(async () => {
          const response = await fetch(url!, { method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
          return { status: response.status, body: await response.text() }
        })
      return { ...observed, post }
    })

  const express_ = (parser: express.RequestHandler) => (listener: http.RequestListener) =>
    serveNode(makeApp(listener, parser))

  it.scopedLive("verifies the Buffer that express.raw() leaves in req.body", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind(express_(express.raw({ type: "application/json", limit: "1mb" })), { handle })
      const delivery = yield* signed("realtime.call.incoming")
      const reply = yield* server.post(delivery)
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(seen[0]?.delivery.id, idOf(delivery))
      assert.strictEqual(seen[0]?.event._tag, "realtime.call.incoming")
    }))

  it.scopedLive("verifies the text express.text({ type: \"application/json\" }) leaves, as OpenAI's guide has it", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind(express_(express.text({ type: "application/json", limit: "1mb" })), { handle })
      // Multi-byte UTF-8 in the body: the string must become exactly the bytes that were signed.
      const payload = JSON.stringify({
        id: "evt_text",
        created_at: 1719168000,
        type: "response.completed",
        data: { id: "resp_\u00e9\u6f22\ud83d\ude00" }
      })
      const delivery = yield* signedPayload(payload)
      const reply = yield* server.post(delivery)
      assert.deepStrictEqual(reply, { status: 200, body: JSON.stringify({ received: true }) })
      const event = seen[0]?.event
      const id = event?._tag === "response.completed" ? event.data.id : undefined
      assert.strictEqual(id, "resp_\u00e9\u6f22\ud83d\ude00")
      assert.strictEqual(lineOf(server.lines, idOf(delivery)).message, "processed")
    }))

  it.scopedLive("answers 413 to a Buffer or a string in req.body over the limit", () =>
    Effect.gen(function*() {
      for (const parser of [express.raw({ type: "application/json", limit: "1mb" }), express.text({ type: "application/json", limit: "1mb" })]) {
        const { handle, seen } = recorder()
        const server = yield* mountBehind(express_(parser), { handle, maxBodySize: 1024 })
        assert.strictEqual((yield* server.post(yield* signedPayload(paddedTo(1024)))).status, 200)
        const over = yield* signedPayload(paddedTo(1025))
        assert.strictEqual((yield* server.post(over)).status, 413)
        assert.strictEqual(lineOf(server.lines, idOf(over)).message, "too_large")
        assert.strictEqual(seen.length, 1)
      }
    }))

  /** The one line of a delivery whose body a parser consumed: failed, saying how to mount the listener. */
  const assertConsumed = (server: Observed, delivery: WebhookTesting.Signed) => {
    const line = lineOf(server.lines, idOf(delivery))
    assert.strictEqual(line.message, "failed")
    assert.strictEqual(line.level, "ERROR")
    const error = String(line.annotations["error"])
    assert.include(error, "read by a body parser before the webhook handler")
    assert.include(error, "express.raw({ type: \"application/json\" })")
    assert.include(error, "scope.addContentTypeParser(\"*\", (request, payload, done) => done(null))")
    const span = server.spans.find((span) => span.name === "openai.webhook")
    assert.strictEqual(span?.attributes.get("openai.webhook.id"), idOf(delivery))
    assert.strictEqual(span?.attributes.get("openai.webhook.outcome"), "failed")
  }

  it.scopedLive("answers 500 to a body express.json() parsed into an object, saying how to mount it", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind(express_(express.json()), { handle })
      const delivery = yield* signed("response.completed")
      const reply = yield* server.post(delivery)
      assert.strictEqual(reply.status, 500)
      assert.strictEqual(seen.length, 0)
      assertConsumed(server, delivery)
    }))

  it.scopedLive("answers 500 to a body Fastify's own JSON parser read, saying how to mount it", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind(
        (listener) =>
          serveFastify(async (app) => {
            app.post(PATH, (request, reply) => {
              reply.hijack()
              listener(request.raw, reply.raw)
            })
          }),
        { handle }
      )
      const delivery = yield* signed("response.completed")
      const reply = yield* server.post(delivery)
      assert.strictEqual(reply.status, 500)
      assert.strictEqual(seen.length, 0)
      assertConsumed(server, delivery)
    }))

  it.scopedLive("verifies the Buffer a Fastify parser with parseAs \"buffer\" read, handed over as req.body", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const server = yield* mountBehind(
        (listener) =>
          serveFastify(async (app) => {
            app.addContentTypeParser(
              "application/json",
              { parseAs: "buffer" },
              (_request, body, done) => done(null, body)
            )
            app.post(PATH, (request, reply) => {
              reply.hijack()
              listener(Object.assign(request.raw, { body: request.body }), reply.raw)
            })
          }),
        { handle }
      )
      const delivery = yield* signed("batch.completed")
      assert.strictEqual((yield* server.post(delivery)).status, 200)
      assert.strictEqual(seen[0]?.event._tag, "batch.completed")
    }))
})

describe("toWebHandler given a Request whose body was read before it", () => {
  // The engine's rows: each way a middleware reads or locks a Request before the handler.
  for (const { consume, name: what } of Bodies.consumedWeb) {
    it.scopedLive(`answers a 500 Response and logs one failed line when ${what} ran first`, () =>
      Effect.gen(function*() {
        const { handle, seen } = recorder()
        const observed = observe()
        const handler = yield* webHandler({ handle }, observed.layer)
        const delivery = yield* signed("response.completed")
        const request = new Request(`http://127.0.0.1${PATH}`, {
          method: "POST",
          headers: delivery.headers,
          body: bodyOf(delivery)
        })
        yield* Effect.promise(() => consume(request))
        const response = yield* Effect.promise(() => handler(request))
        assert.strictEqual(response.status, 500)
        assert.deepStrictEqual(yield* Effect.promise(() => response.json()), {
          error: { type: "HandlerError", message: "The delivery was not processed; it will be retried" }
        })
        assert.strictEqual(seen.length, 0)
        const line = lineOf(observed.lines, idOf(delivery))
        assert.strictEqual(line.message, "failed")
        assert.include(String(line.annotations["error"]), "the request body was read before the webhook handler")
        assert.include(String(line.annotations["error"]), "request.clone()")
      }))
  }
})

describe("the platform styles, whatever read the body before them", () => {
  /** A server middleware that reads the body (or not) before the router runs the route. */
  type Read = ((request: HttpServerRequest.HttpServerRequest) => Effect.Effect<unknown, unknown>) | undefined
  const before = (read: Read) =>
    HttpMiddleware.make((app) =>
      read === undefined
        ? app
        : Effect.zipRight(Effect.orDie(Effect.flatMap(HttpServerRequest.HttpServerRequest, read)), app)
    )

  interface Server {
    readonly name: string
    /** Whether the platform's request holds a Node `IncomingMessage` (else a web `Request`). */
    readonly node: boolean
    readonly mount: <E>(
      options: WebhookHttp.Options<E, never>,
      read: Read,
      observability: Layer.Layer<never>
    ) => Effect.Effect<Endpoint, unknown, Scope.Scope>
  }

  /** A platform web handler behind node:http. Its types ask for a context its middleware's type does not need. */
  interface WebHandler {
    readonly handler: (request: Request, context: never) => Promise<Response>
    readonly dispose: () => Promise<void>
  }
  const webServer = (make: () => WebHandler) =>
    Effect.flatMap(
      Effect.acquireRelease(Effect.sync(make), ({ dispose }) => Effect.promise(dispose)),
      ({ handler }) => serveNode(fetchAdapter((request) => handler(request, undefined as never)))
    )

  const servers: ReadonlyArray<Server> = [
    {
      name: "layerRoute on @effect/platform-node",
      node: true,
      mount: (options, read, observability) =>
        servePlatform(
          HttpLayerRouter.serve(WebhookHttp.layerRoute(options), {
            disableLogger: true,
            disableListenLog: true,
            middleware: before(read)
          }),
          observability
        )
    },
    {
      name: "toHttpApp on @effect/platform-node",
      node: true,
      mount: (options, read, observability) =>
        servePlatform(
          HttpRouter.empty.pipe(HttpRouter.all(PATH, WebhookHttp.toHttpApp(options)), HttpServer.serve(before(read))),
          observability
        )
    },
    {
      name: "layerRoute on HttpLayerRouter.toWebHandler (a web Request)",
      node: false,
      mount: (options, read, observability) =>
        webServer(() =>
          HttpLayerRouter.toWebHandler(
            WebhookHttp.layerRoute(options).pipe(Layer.provide(Secret), Layer.provide(observability)),
            { disableLogger: true, middleware: before(read) }
          )
        )
    },
    {
      name: "toHttpApp on HttpApp.toWebHandlerLayer (a web Request)",
      node: false,
      mount: (options, read, observability) =>
        webServer(() =>
          HttpApp.toWebHandlerLayer(
            HttpRouter.empty.pipe(HttpRouter.all(PATH, WebhookHttp.toHttpApp(options))),
            Layer.merge(Secret, observability),
            { middleware: before(read) }
          )
        )
    }
  ]

  const reads: ReadonlyArray<readonly [string, Read, { readonly node: boolean; readonly web: boolean }]> = [
    ["nothing", undefined, { node: true, web: true }],
    ["request.text", (request) => request.text, { node: true, web: true }],
    ["request.json", (request) => request.json, { node: true, web: true }],
    // The platform keeps the bytes of a web Request, not those of a Node stream.
    ["request.arrayBuffer", (request) => request.arrayBuffer, { node: false, web: true }],
    ["request.stream", (request) => Stream.runDrain(request.stream), { node: false, web: false }]
  ]

  for (const server of servers) {
    describe(server.name, () => {
      for (const [what, read, kept] of reads) {
        const processed = server.node ? kept.node : kept.web
        it.scopedLive(
          processed
            ? `processes a delivery when a middleware read ${what} first`
            : `answers 500 with a line saying how to mount it when a middleware read ${what} first`,
          () =>
            Effect.gen(function*() {
              const { handle, seen } = recorder()
              const observed = observe()
              const endpoint = yield* server.mount({ handle }, read, observed.layer)
              const delivery = yield* signed("response.completed")
              const response = yield* Effect.promise(() =>
                endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
              )
              const body = yield* Effect.promise(() => response.json())
              const line = lineOf(observed.lines, idOf(delivery))
              if (processed) {
                assert.strictEqual(response.status, 200)
                assert.deepStrictEqual(body, { received: true })
                assert.strictEqual(seen[0]?.event._tag, "response.completed")
                assert.strictEqual(line.message, "processed")
              } else {
                assert.strictEqual(response.status, 500)
                assert.strictEqual(seen.length, 0)
                assert.strictEqual(line.message, "failed")
                const error = String(line.annotations["error"])
                assert.include(error, "the request body was read before the webhook handler")
                // On Node, how to read it so that the platform keeps it; on the web, how to leave it readable.
                assert.include(error, server.node ? "with request.text" : "request.clone()")
              }
            })
        )
      }

      it.scopedLive("answers 413 to a body over the limit that a middleware read as text first", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const endpoint = yield* server.mount({ handle, maxBodySize: 1024 }, (request) => request.text, observed.layer)
          const delivery = yield* signedPayload(paddedTo(1025))
          const response = yield* Effect.promise(() =>
            endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
          )
          assert.strictEqual(response.status, 413)
          assert.strictEqual(seen.length, 0)
          assert.strictEqual(lineOf(observed.lines, idOf(delivery)).message, "too_large")
        }))
    })
  }
})

describe("layerRoute", () => {
  for (const requestLogger of [undefined, true]) {
    it.scopedLive(
      requestLogger
        ? "with requestLogger: true, logs each delivery with its own line and the platform's request line"
        : "logs each delivery once, with its own line: the platform's request logger stays quiet on its path",
      () =>
        Effect.gen(function*() {
          const observed = observe()
          const endpoint = yield* servePlatform(
            HttpLayerRouter.serve(
              Layer.mergeAll(
                WebhookHttp.layerRoute({ handle: () => Effect.void, requestLogger }),
                HttpLayerRouter.add("GET", "/other", HttpServerResponse.text("other"))
              ),
              { disableListenLog: true }
            ),
            observed.layer
          )
          const delivery = yield* signed("response.completed")
          const response = yield* Effect.promise(() =>
            endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
          )
          assert.strictEqual(response.status, 200)
          // Another route of the same router keeps the platform's line: only the webhook path is quiet.
          const other = yield* Effect.promise(() => fetch(`${endpoint.url!.replace(PATH, "")}/other`))
          assert.strictEqual(other.status, 200)
          yield* observed.untilLines(requestLogger ? 3 : 2)
          const delivered = observed.lines.filter((line) => line.annotations["webhook_id"] === idOf(delivery))
          assert.deepStrictEqual(
            delivered.map((line) => line.message),
            requestLogger ? ["processed", "Sent HTTP response"] : ["processed"]
          )
          const requests = observed.lines.filter((line) => line.message === "Sent HTTP response")
          assert.deepStrictEqual(
            requests.map((line) => line.annotations["http.url"]),
            requestLogger ? [PATH, "/other"] : ["/other"]
          )
        })
    )
  }

  it.scopedLive("closes a handler's scope with its request, not with the server", () =>
    Effect.gen(function*() {
      const finalized = yield* Deferred.make<void>()
      const observed = observe()
      const endpoint = yield* servePlatform(
        HttpLayerRouter.serve(
          WebhookHttp.layerRoute({ handle: () => Effect.addFinalizer(() => Deferred.succeed(finalized, undefined)) }),
          { disableLogger: true, disableListenLog: true }
        ),
        observed.layer
      )
      const delivery = yield* signed("response.completed")
      const response = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
      )
      assert.strictEqual(response.status, 200)
      // The server is still up: only the request's scope can have run the finalizer.
      yield* Deferred.await(finalized)
    }))
})

describe("toWebHandler when something goes wrong around the delivery", () => {
  it.scopedLive("answers a 500 Response and logs one failed line when the body stream fails mid-way", () =>
    Effect.gen(function*() {
      const { handle, seen } = recorder()
      const observed = observe()
      const handler = yield* webHandler({ handle }, observed.layer)
      const delivery = yield* signed("response.completed")
      const broken = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("{\"id\":"))
          controller.error(new Error("the client went away"))
        }
      })
      const init: Init = { method: "POST", headers: delivery.headers, body: broken, duplex: "half" }
      const response = yield* Effect.promise(() => handler(new Request(`http://127.0.0.1${PATH}`, init)))
      assert.strictEqual(response.status, 500)
      assert.strictEqual(seen.length, 0)
      const line = lineOf(observed.lines, idOf(delivery))
      assert.strictEqual(line.message, "failed")
      assert.include(String(line.annotations["error"]), "the client went away")
    }))

  it.scopedLive("answers a 500 Response and logs a failed line, not a rejection, when reading the request throws", () =>
    Effect.gen(function*() {
      const observed = observe()
      const handler = yield* webHandler({ handle: () => Effect.void }, observed.layer)
      const request = new Proxy(new Request(`http://127.0.0.1${PATH}`, { method: "POST", body: "{}" }), {
        get: (target, key) => {
          if (key === "headers") throw new Error("a broken adapter")
          const value = Reflect.get(target, key, target)
          return typeof value === "function" ? value.bind(target) : value
        }
      })
      const response = yield* Effect.promise(() => handler(request))
      assert.strictEqual(response.status, 500)
      yield* observed.untilLines(1)
      assert.deepStrictEqual(observed.lines.map((line) => line.message), ["failed"])
      assert.include(observed.lines[0]!.cause, "a broken adapter")
    }))

  it("answers 500, never a rejection, when its layer fails to build", async () => {
    const { dispose, handler } = WebhookHttp.toWebHandler({
      handle: () => Effect.void,
      layer: Layer.fail("no secret configured")
    })
    try {
      const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
      const response = await handler(
        new Request(`http://127.0.0.1${PATH}`, { method: "POST", headers: delivery.headers, body: delivery.body })
      )
      assert.strictEqual(response.status, 500)
    } finally {
      await dispose()
    }
  })
})

describe("what a route needs, and what it says when it starts", () => {
  /**
   * An inbox on a new SQLite database in memory, beside the observability layer: where a route finds it. Built
   * here, in the test's scope: a style may provide its layers to the making of the route only (`Effect.provide`
   * around `makeNodeListener`), which would close an inbox built there as soon as the listener is made.
   */
  const withInbox = (
    observed: Observed,
    mode: WebhookInbox.Mode
  ): Effect.Effect<Layer.Layer<never>, never, Scope.Scope> =>
    Effect.map(
      Layer.build(
        WebhookInbox.layerSql({ mode }).pipe(Layer.provide(SqliteClient.layer({ filename: ":memory:" })), Layer.orDie)
      ),
      (inbox) => Layer.merge(observed.layer, Layer.succeedContext(inbox))
    )

  /**
   * How `style` refuses a route that cannot start: the `IllegalArgumentException` its mounting fails with, where
   * the route starts when it is mounted (`layerRoute`, `makeNodeListener`); else undefined, once a delivery has
   * been answered 500 (`toHttpApp`, `toWebHandler`: no start of their own).
   */
  const refusal = (style: Style, mounting: Effect.Effect<Endpoint, unknown, Scope.Scope>, observed: Observed) =>
    Effect.gen(function*() {
      const mounted = yield* Effect.either(mounting)
      if (/layerRoute|makeNodeListener/.test(style.name)) {
        assert.isTrue(Either.isLeft(mounted), "the route fails to start")
        return Option.getOrThrow(Either.getLeft(mounted)) as WebhookError.IllegalArgumentException
      }
      const endpoint = Either.getOrThrow(mounted)
      const delivery = yield* signed("response.completed")
      const response = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
      )
      assert.strictEqual(response.status, 500)
      assert.isEmpty(observed.started)
      return undefined
    })

  /** The `failed` line of a delivery a route that could not start answered: what it says, with its cause. */
  const refusedLine = (observed: Observed) =>
    Effect.gen(function*() {
      yield* observed.untilLines(1)
      const [line] = observed.lines as [LogLine]
      assert.strictEqual(line.message, "failed")
      return `${String(line.annotations["error"])} ${line.cause}`
    })

  for (const style of styles) {
    describe(style.name, () => {
      it.scopedLive("says once, at warning level, that deliveries are not deduplicated when it has no inbox", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const endpoint = yield* Effect.orDie(style.mount({ handle }, observed.layer))
          const delivery = yield* signed("response.completed")
          const post = Effect.promise(() =>
            endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
          )
          for (let copy = 0; copy < 3; copy++) assert.strictEqual((yield* post).status, 200)
          // Every copy runs the handler: what the line warns of.
          assert.strictEqual(seen.length, 3)
          assert.strictEqual(observed.started.length, 1)
          const [line] = observed.started as [LogLine]
          assert.strictEqual(line.level, "WARN")
          assert.strictEqual(line.message, "deliveries are not deduplicated")
          const error = String(line.annotations["error"])
          assert.include(error, "every copy of a webhook-id runs the handler")
          assert.include(error, "not only to WebhookInbox.layerWorker")
          assert.include(error, "inbox: \"inline\"")
          assert.isUndefined(line.annotations["webhook_id"])
        }))

      it.scopedLive("with inbox: \"inline\", answers a copy of a handled delivery duplicate, without the handler", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const inbox = yield* withInbox(observed, "inline")
          const endpoint = yield* Effect.orDie(style.mount({ handle, inbox: "inline" }, inbox))
          const delivery = yield* signed("response.completed")
          const post = Effect.promise(async () => {
            const response = await endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
            return { status: response.status, body: await response.json() as unknown }
          })
          assert.deepStrictEqual(yield* post, { status: 200, body: { received: true } })
          assert.deepStrictEqual(yield* post, { status: 200, body: { received: true, duplicate: true } })
          assert.strictEqual(seen.length, 1)
          assert.deepStrictEqual(observed.lines.map((line) => line.message), ["processed", "duplicate"])
          assert.deepStrictEqual(observed.started, [])
        }))

      it.scopedLive("with inbox: \"queued\" and no handler, stores a delivery: 200 queued, then duplicate", () =>
        Effect.gen(function*() {
          const observed = observe()
          const endpoint = yield* Effect.orDie(style.mount({ inbox: "queued" }, yield* withInbox(observed, "queued")))
          const delivery = yield* signed("batch.completed")
          const post = Effect.promise(async () => {
            const response = await endpoint.fetch({ method: "POST", headers: delivery.headers, body: bodyOf(delivery) })
            return { status: response.status, body: await response.json() as unknown }
          })
          assert.deepStrictEqual(yield* post, { status: 200, body: { received: true, queued: true } })
          assert.deepStrictEqual(yield* post, { status: 200, body: { received: true, duplicate: true } })
          assert.deepStrictEqual(observed.lines.map((line) => line.message), ["queued", "duplicate"])
          assert.deepStrictEqual(observed.started, [])
        }))

      it.scopedLive("refuses an option it cannot use with an IllegalArgumentException naming it, never a throw", () =>
        Effect.gen(function*() {
          const { handle, seen } = recorder()
          const observed = observe()
          const error = yield* refusal(style, style.mount({ handle, maxBodySize: 0 }, observed.layer), observed)
          assert.strictEqual(seen.length, 0)
          const message = "WebhookHttp: maxBodySize: Expected a whole number of bytes, at least 1; got 0"
          if (error === undefined) return assert.include(yield* refusedLine(observed), message)
          assert.instanceOf(error, WebhookError.IllegalArgumentException)
          assert.isTrue(Cause.isIllegalArgumentException(error))
          assert.deepStrictEqual([error._tag, error.reason, error.option, error.message], [
            "IllegalArgumentException",
            "OutOfRange",
            "maxBodySize",
            message
          ])
        }))

      it.scopedLive("refuses to start, saying how to build it, on an inbox of another mode than it says", () =>
        Effect.gen(function*() {
          const observed = observe()
          const inbox = yield* withInbox(observed, "inline")
          const error = yield* refusal(style, style.mount({ inbox: "queued" }, inbox), observed)
          const message = "WebhookHttp: inbox: the route says inbox: \"queued\", and the WebhookInbox it is given is " +
            "inline: build it with WebhookInbox.layerSql({ mode: \"queued\" })"
          if (error === undefined) return assert.include(yield* refusedLine(observed), message)
          assert.deepStrictEqual([error.reason, error.option], ["Conflict", "inbox"])
          assert.include(error.message, message)
        }))
    })
  }

  it.effect("names the option: a duration Effect cannot decode is Malformed, a timeout of zero OutOfRange", () =>
    Effect.gen(function*() {
      const make = (options: WebhookHttp.BaseOptions) =>
        Effect.flip(
          WebhookHttp.makeNodeListener({ handle: () => Effect.void, ...options }).pipe(
            Effect.provide(Layer.orDie(Secret))
          )
        )
      const malformed = yield* make({ timeout: "5 minuets" as Duration.DurationInput })
      assert.deepStrictEqual([malformed.reason, malformed.option, malformed.message], [
        "Malformed",
        "timeout",
        "WebhookHttp: timeout: Expected a duration such as \"10 seconds\" or \"1500 millis\"; got \"5 minuets\""
      ])
      const zero = yield* make({ timeout: 0 })
      assert.deepStrictEqual([zero.reason, zero.option], ["OutOfRange", "timeout"])
      const tolerance = yield* make({ tolerance: "a while" as Duration.DurationInput })
      assert.deepStrictEqual([tolerance.reason, tolerance.option], ["Malformed", "tolerance"])
      const fraction = yield* make({ maxBodySize: 1.5 })
      assert.deepStrictEqual([fraction.reason, fraction.option], ["OutOfRange", "maxBodySize"])
    }))

  it("keeps the SCREAMING_CASE constants as deprecated aliases of the camelCase ones", () => {
    assert.strictEqual(WebhookHttp.defaultPath, "/webhooks/openai")
    assert.strictEqual(WebhookHttp.defaultMaxBodySize, 1024 * 1024)
    assert.strictEqual(WebhookHttp.DEFAULT_PATH, WebhookHttp.defaultPath)
    assert.strictEqual(WebhookHttp.DEFAULT_MAX_BODY_SIZE, WebhookHttp.defaultMaxBodySize)
  })
})

describe("types: a route that says inbox requires a WebhookInbox, in every mounting style", () => {
  class Mailer extends Context.Tag("test/Mailer")<Mailer, { readonly send: (text: string) => Effect.Effect<void> }>() {}
  const handle = (event: WebhookEvent.UnwrapWebhookEvent) => Effect.flatMap(Mailer, (mailer) => mailer.send(event._tag))
  const Secrets: Layer.Layer<WebhookSecret.WebhookSecret> = Layer.succeedContext(Context.empty()) as never
  const Inbox: Layer.Layer<WebhookInbox.WebhookInbox> = Layer.succeedContext(Context.empty()) as never
  const MailerLive = Layer.succeed(Mailer, { send: () => Effect.void })
  type Listener = (request: http.IncomingMessage, response: http.ServerResponse) => void
  type App<R> = Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>

  // Only compiled: the assignments are the assertions. `@ts-expect-error` fails the type-check when there is no error.
  it("makeNodeListener", () => {
    const inline: Effect.Effect<Listener, unknown, WebhookSecret.WebhookSecret | Mailer | WebhookInbox.WebhookInbox> =
      WebhookHttp.makeNodeListener({ handle, inbox: "inline" })
    type Needs = WebhookSecret.WebhookSecret | Mailer
    // @ts-expect-error an inline route built without its inbox
    const missing: Effect.Effect<Listener, unknown, Needs> = WebhookHttp.makeNodeListener({ handle, inbox: "inline" })
    // Queued: no handler, so none of its services; the inbox only.
    const queued: Effect.Effect<Listener, unknown, WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox> =
      WebhookHttp.makeNodeListener({ inbox: "queued" })
    // @ts-expect-error a queued route takes no handler: the workers run it
    const handled = WebhookHttp.makeNodeListener({ handle, inbox: "queued" })
    // Without `inbox`, no inbox in the type (0.2's route): what it says at start is the runtime test above.
    const plain: Effect.Effect<Listener, unknown, WebhookSecret.WebhookSecret | Mailer> = WebhookHttp.makeNodeListener({
      handle
    })
    assert.isDefined([inline, missing, queued, handled, plain])
  })

  it("layerRoute", () => {
    const inline: Layer.Layer<
      never,
      unknown,
      HttpLayerRouter.HttpRouter | WebhookSecret.WebhookSecret | Mailer | WebhookInbox.WebhookInbox
    > = WebhookHttp.layerRoute({ handle, inbox: "inline" })
    // @ts-expect-error an inline route built without its inbox: the slip of giving it to layerWorker only
    const missing: Layer.Layer<never, unknown, HttpLayerRouter.HttpRouter | WebhookSecret.WebhookSecret | Mailer> =
      WebhookHttp.layerRoute({ handle, inbox: "inline" })
    const queued: Layer.Layer<
      never,
      unknown,
      HttpLayerRouter.HttpRouter | WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox
    > = WebhookHttp.layerRoute({ inbox: "queued", path: "/hooks" })
    // The README's slip, now a type error: the inbox given to the workers only.
    const workers = WebhookInbox.layerWorker({ handle }).pipe(Layer.provide(Inbox), Layer.provide(MailerLive))
    const slip = Layer.merge(WebhookHttp.layerRoute({ inbox: "queued" }).pipe(Layer.provide(Secrets)), workers)
    // @ts-expect-error the route still requires the WebhookInbox
    const launched: Layer.Layer<never, unknown, HttpLayerRouter.HttpRouter> = slip
    assert.isDefined([inline, missing, queued, launched])
  })

  it("toHttpApp", () => {
    type Request = HttpServerRequest.HttpServerRequest
    type Needs = WebhookSecret.WebhookSecret | Mailer | Request
    const inline: App<Needs | WebhookInbox.WebhookInbox> = WebhookHttp.toHttpApp({ handle, inbox: "inline" })
    // @ts-expect-error an inline route built without its inbox
    const missing: App<Needs> = WebhookHttp.toHttpApp({ handle, inbox: "inline" })
    const queued: App<WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox | HttpServerRequest.HttpServerRequest> =
      WebhookHttp.toHttpApp({ inbox: "queued" })
    assert.isDefined([inline, missing, queued])
  })

  it("toWebHandler", () => {
    const both = Layer.mergeAll(Secrets, Inbox, MailerLive)
    const inline = WebhookHttp.toWebHandler({ handle, inbox: "inline", layer: both })
    // @ts-expect-error an inline route whose layer has no inbox
    const missing = WebhookHttp.toWebHandler({ handle, inbox: "inline", layer: Layer.merge(Secrets, MailerLive) })
    const queued = WebhookHttp.toWebHandler({ inbox: "queued", layer: Layer.merge(Secrets, Inbox) })
    // @ts-expect-error a queued route whose layer has no inbox
    const queuedMissing = WebhookHttp.toWebHandler({ inbox: "queued", layer: Secrets })
    // @ts-expect-error the handler's services are still required without an inbox
    const unserved = WebhookHttp.toWebHandler({ handle, layer: Secrets })
    assert.isDefined([inline, missing, queued, queuedMissing, unserved])
  })
})
