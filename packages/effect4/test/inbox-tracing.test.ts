/**
 * The Effect 4 edition's inbox traces, with a tracer installed (one that keeps every span it is asked for, as an
 * exporter would): a queued delivery keeps its request's W3C `traceparent` with its row, each worker attempt is a
 * root `openai.webhook` consumer span linked to that request, with the delivery's attributes, and the worker's
 * idle polls make no span at all.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Layer, Tracer } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { Events, Reply, TraceContext } from "openai-webhooks-engine"
import * as protocol from "../src/internal/inbox/protocol.js"
import * as WebhookInbox from "../src/WebhookInbox.js"
import * as Engines from "./support/inbox-engines.js"
import { observe } from "./support/log.js"

/** A tracer that keeps every span it makes. */
const recording = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, layer: Layer.succeed(Tracer.Tracer, tracer) }
}

const engine = Engines.sqlite()

describe("the Effect 4 inbox's traces", () => {
  it.live("links each attempt's root span to the request that queued it; idle polls trace nothing", () =>
    Effect.gen(function*() {
      const traces = recording()
      const handled = yield* Deferred.make<void>()
      const database = yield* engine.database
      const inbox = WebhookInbox.layerSql({ mode: "queued", writer: database.writer }).pipe(
        Layer.provideMerge(database.client())
      )
      const context = yield* Layer.build(Layer.provideMerge(
        WebhookInbox.layerWorker({
          handle: () =>
            Effect.andThen(Effect.withSpan(Effect.void, "handler's own"), Deferred.succeed(handled, undefined)),
          pollInterval: "5 millis"
        }),
        inbox
      ).pipe(Layer.provide(traces.layer), Layer.provide(observe().layer)))
      const store = Context.get(context, WebhookInbox.WebhookInbox)
      const sql = Context.get(context, SqlClient.SqlClient)
      // Built (its migrations traced, as any program's); then idle: the worker polls every 5 ms, untraced.
      const built = traces.spans.length
      yield* Effect.sleep("30 millis")
      assert.deepStrictEqual(traces.spans.slice(built).map((span) => span.name), [])
      const sample = { ...Events.get("batch.completed").sample, id: "msg_traced" }
      const body = new TextEncoder().encode(JSON.stringify(sample))
      const delivery = { id: "msg_traced", timestamp: 1 }
      const progress: protocol.Progress = { phase: "store" }
      const queue = protocol.process(store, delivery, "batch.completed", body, Effect.void, undefined, progress)
      const request = yield* Effect.withSpan(
        Effect.flatMap(Effect.currentSpan, (span) => Effect.as(queue, span)),
        "request"
      ).pipe(Effect.provide(traces.layer))
      yield* Deferred.await(handled)
      const [row] = yield* sql.unsafe<{ traceparent: string | null }>(
        "SELECT traceparent FROM openai_webhook_deliveries WHERE webhook_id = 'msg_traced'"
      )
      // What the row keeps: the request's span as a W3C traceparent.
      assert.strictEqual(row?.traceparent, TraceContext.formatTraceparent(request))
      const attempt = traces.spans.find((span) => span.name === Reply.span.name)
      assert.isDefined(attempt)
      assert.strictEqual(attempt!.kind, "consumer")
      assert.isTrue(attempt!.parent._tag === "None", "a root span")
      assert.deepStrictEqual(attempt!.links.map((link) => link.span.spanId), [request.spanId])
      assert.strictEqual(attempt!.attributes.get(Reply.span.id), "msg_traced")
      assert.strictEqual(attempt!.attributes.get(Reply.span.eventType), "batch.completed")
      assert.strictEqual(attempt!.attributes.get(Reply.span.attempt), 1)
      const own = traces.spans.find((span) => span.name === "handler's own")
      assert.strictEqual(own?.parent._tag === "Some" ? own.parent.value.spanId : undefined, attempt!.spanId)
      // Nothing else but the request's own and the statements the delivery ran: no span per poll or renewal.
      assert.deepStrictEqual(
        traces.spans.slice(built).map((span) => span.name).filter((name) => !/^(sql|sqlite|BEGIN|COMMIT)/.test(name)),
        ["request", Reply.span.name, "handler's own"]
      )
    }))
})
