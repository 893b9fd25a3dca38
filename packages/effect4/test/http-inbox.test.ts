/**
 * The inbox's scenarios of the issue through the HTTP edge `npm start` runs (`makeNodeListener` on node:http), on
 * both engines (a SQLite file; a fresh schema on PostgreSQL): 20 concurrent copies handled once, a failing handler
 * answered 500 and run again by OpenAI's retry, a queued delivery surviving a restart, two instances on one
 * database, and the edge's timeout while another instance's claim holds a copy or the handler runs on. What the
 * inbox made of a delivery is what the edge answers and logs (the engine's replies and words).
 */
import { assert, describe, it } from "@effect/vitest"
import type * as http from "node:http"
import { Context, Deferred, type Duration, Effect, Exit, Layer, Option, Scope } from "effect"
import { Reply } from "openai-webhooks-engine"
import { replyOf } from "../../engine/test/tables/replies.js"
import { type WebhookEvent, WebhookHttp, WebhookInbox, type Webhooks, type WebhookSecret } from "../src/index.js"
import { bodyOf, idOf, signed } from "./support/deliveries.js"
import * as Engines from "./support/inbox-engines.js"
import { type Endpoint, type Observed, observe, Secret, serveNode } from "./support/mount.js"

const engines = Engines.engines("http-inbox.test.ts")

type Handle = (event: WebhookEvent.UnwrapWebhookEvent, delivery: Webhooks.Delivery) => Effect.Effect<void, unknown>

interface Instance extends Observed {
  readonly endpoint: Endpoint
  readonly store: WebhookInbox.Store
  /** Stops the instance: its server, its workers, its inbox (a process going away). */
  readonly stop: Effect.Effect<void>
}

/**
 * An instance of the receiver on `database`: its inbox in `mode`, its workers when queued and given a handler, and
 * `makeNodeListener` on node:http, in a scope of its own inside the test's (closed by `stop`, or with the test).
 */
const instance = (
  database: Engines.Database,
  options: {
    readonly mode: WebhookInbox.Mode
    readonly handle?: Handle
    readonly timeout?: Duration.Input
  }
): Effect.Effect<Instance, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const observed = observe()
    const scope = yield* Scope.fork(yield* Effect.scope)
    const inbox = WebhookInbox.layerSql({ mode: options.mode, writer: database.writer }).pipe(
      Layer.provide(database.client())
    )
    const workers = options.mode === "queued" && options.handle !== undefined
      ? WebhookInbox.layerWorker({ handle: options.handle, pollInterval: "10 millis" }).pipe(Layer.provide(inbox))
      : Layer.empty
    const built = Layer.provide(Layer.merge(inbox, workers), observed.layer)
    const context = yield* Layer.buildWithScope(built as Layer.Layer<WebhookInbox.WebhookInbox, unknown>, scope)
    // The types say what each route needs: the inbox, here in `context`, and the secret.
    const route: Effect.Effect<http.RequestListener, unknown, WebhookSecret.WebhookSecret | WebhookInbox.WebhookInbox> =
      options.mode === "queued"
        ? WebhookHttp.makeNodeListener({ inbox: "queued", timeout: options.timeout })
        : WebhookHttp.makeNodeListener({ handle: options.handle!, inbox: "inline", timeout: options.timeout })
    const listener = yield* route.pipe(
      Effect.provide(Layer.mergeAll(Secret, observed.layer, Layer.succeedContext(context)))
    )
    const endpoint = yield* Scope.provide(serveNode(listener), scope)
    const result: Instance = {
      ...observed,
      endpoint,
      store: Context.get(context, WebhookInbox.WebhookInbox),
      stop: Scope.close(scope, Exit.void)
    }
    return result
  })

const post = (endpoint: Endpoint, delivery: { readonly body: string | Uint8Array; readonly headers: object }) =>
  Effect.promise(async () => {
    const response = await endpoint.fetch({
      method: "POST",
      headers: delivery.headers as Record<string, string>,
      body: bodyOf(delivery as never)
    })
    return { status: response.status, body: await response.json() as unknown }
  })

const PROCESSED = { status: 200, body: replyOf("processed").body }
const DUPLICATE = { status: 200, body: replyOf("duplicate").body }
const QUEUED = { status: 200, body: replyOf("queued").body }
const FAILED = { status: 500, body: replyOf("failed").body }

/** Waits, reading the store's own status (no clock), until `id` is `status`. */
const until = (store: WebhookInbox.Store, id: string, status: WebhookInbox.Status) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (Option.getOrUndefined(yield* Effect.orDie(store.status(id))) === status) return
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error(`${id} never became ${status}`))
  })

for (const engine of engines) {
  describe.skipIf(engine.skip)(`the inbox through makeNodeListener, on ${engine.name}`, () => {
    it.live("inline: 20 concurrent copies run the handler once; 19 are answered 200 duplicate", () =>
      Effect.gen(function*() {
        let runs = 0
        const server = yield* instance(yield* engine.database, {
          mode: "inline",
          handle: () => Effect.sync(() => void runs++)
        })
        const delivery = yield* signed("response.completed")
        const replies = yield* Effect.forEach(Array.from({ length: 20 }), () => post(server.endpoint, delivery), {
          concurrency: "unbounded"
        })
        assert.strictEqual(runs, 1)
        assert.deepStrictEqual(
          replies.map((reply) => JSON.stringify(reply)).sort(),
          [PROCESSED, ...Array.from({ length: 19 }, () => DUPLICATE)].map((reply) => JSON.stringify(reply)).sort()
        )
        const messages = server.lines.map((line) => line.message)
        assert.deepStrictEqual(
          [messages.filter((m) => m === "processed").length, messages.filter((m) => m === "duplicate").length],
          [1, 19]
        )
      }))

    it.live("inline: a failing handler is answered 500, and OpenAI's retry runs it again and is answered 200", () =>
      Effect.gen(function*() {
        let runs = 0
        const server = yield* instance(yield* engine.database, {
          mode: "inline",
          handle: () => Effect.suspend(() => (++runs === 1 ? Effect.fail("the database is down") : Effect.void))
        })
        const delivery = yield* signed("response.completed")
        assert.deepStrictEqual(yield* post(server.endpoint, delivery), FAILED)
        assert.deepStrictEqual(yield* post(server.endpoint, delivery), PROCESSED)
        assert.deepStrictEqual(yield* post(server.endpoint, delivery), DUPLICATE)
        assert.strictEqual(runs, 2)
        assert.deepStrictEqual(server.lines.map((line) => line.message), ["failed", "processed", "duplicate"])
        assert.include(server.lines[0]!.cause, "the database is down")
        const detail = Option.getOrThrow(yield* Effect.orDie(server.store.get(idOf(delivery))))
        assert.deepStrictEqual(detail.history.map((attempt) => attempt.outcome), ["failed", "processed"])
      }))

    it.live("inline: copies sent to two instances on one database at once run the handler once", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        let runs = 0
        const handle: Handle = () => Effect.sync(() => void runs++)
        const one = yield* instance(database, { mode: "inline", handle })
        const two = yield* instance(database, { mode: "inline", handle })
        const delivery = yield* signed("batch.completed")
        const replies = yield* Effect.forEach(
          Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two)),
          (server) => post(server.endpoint, delivery),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(runs, 1)
        assert.deepStrictEqual(replies.map((reply) => reply.status), Array(10).fill(200))
        assert.strictEqual(replies.filter((reply) => JSON.stringify(reply) === JSON.stringify(PROCESSED)).length, 1)
      }))

    it.live("inline: a copy another instance's claim holds past the timeout is answered 500, saying it was held", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        let runs = 0
        const server = yield* instance(database, {
          mode: "inline",
          handle: () => Effect.sync(() => void runs++),
          timeout: "100 millis"
        })
        const delivery = yield* signed("response.completed")
        // Another instance, on the same database, claimed the delivery and holds the claim.
        const other = yield* instance(database, { mode: "inline", handle: () => Effect.void })
        const id = idOf(delivery)
        assert.isTrue(Option.isSome(yield* Effect.orDie(other.store.claim(id, "response.completed", 1))))
        assert.deepStrictEqual(yield* post(server.endpoint, delivery), FAILED)
        yield* server.untilLines(1)
        const [line] = server.lines
        assert.strictEqual(line?.message, "failed")
        assert.strictEqual(line?.annotations["event_type"], "response.completed")
        assert.strictEqual(line?.annotations["error"], Reply.unfinished("held", "100ms"))
        assert.strictEqual(runs, 0)
      }))

    it.live("inline: the edge's timeout interrupts the handler, answers 500 and records the attempt timed_out", () =>
      Effect.gen(function*() {
        const interrupted = yield* Deferred.make<void>()
        const server = yield* instance(yield* engine.database, {
          mode: "inline",
          handle: () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))),
          timeout: "50 millis"
        })
        const delivery = yield* signed("batch.expired")
        assert.deepStrictEqual(yield* post(server.endpoint, delivery), FAILED)
        yield* Deferred.await(interrupted)
        yield* until(server.store, idOf(delivery), "failed")
        const detail = Option.getOrThrow(yield* Effect.orDie(server.store.get(idOf(delivery))))
        assert.deepStrictEqual(detail.history.map((attempt) => attempt.outcome), ["timed_out"])
        yield* server.untilLines(1)
        assert.strictEqual(server.lines[0]?.annotations["error"], Reply.unfinished("handler", "50ms"))
      }))

    it.live("queued: a delivery answered 200 queued before a restart is run by the workers after it, once", () =>
      Effect.gen(function*() {
        const database = yield* engine.database
        const before = yield* instance(database, { mode: "queued" })
        const delivery = yield* signed("batch.completed")
        assert.deepStrictEqual(yield* post(before.endpoint, delivery), QUEUED)
        assert.deepStrictEqual(before.lines.map((line) => line.message), ["queued"])
        yield* before.stop
        const handled = yield* Deferred.make<string>()
        let runs = 0
        const after = yield* instance(database, {
          mode: "queued",
          handle: (event) => Effect.andThen(Effect.sync(() => void runs++), Deferred.succeed(handled, event._tag))
        })
        assert.strictEqual(yield* Deferred.await(handled), "batch.completed")
        yield* until(after.store, idOf(delivery), "done")
        // A copy OpenAI sends afterwards: answered duplicate, nothing run.
        assert.deepStrictEqual(yield* post(after.endpoint, delivery), DUPLICATE)
        assert.strictEqual(runs, 1)
      }))
  })
}
