/**
 * The inbox's traces through the real OpenTelemetry SDK (`@effect/opentelemetry`'s NodeSdk, an in-memory
 * exporter): a queued app on a real HTTP server and a SQLite file or PostgreSQL. Idle polls make no trace; each
 * worker attempt is an `openai.webhook` span (its id, type and attempt number) linked to the request that queued it,
 * with the handler's own spans under it.
 */
import { NodeSdk } from "@effect/opentelemetry"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import { SpanKind } from "@opentelemetry/api"
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import { Context, Deferred, Effect, Exit, Layer, Scope } from "effect"
import { WebhookHttp, WebhookInbox, WebhookTesting } from "effect-openai-webhooks"
import { InboxSql, Reply, TraceContext } from "openai-webhooks-engine"
import { TracingLive } from "../examples/opentelemetry.js"
import { engines } from "./support/inbox-engines.js"
import { secret as SECRET, servePlatform } from "./support/mount.js"


/** Resolves `deferred` when a span that `matches` ends. */
const onEnd = (matches: (span: ReadableSpan) => boolean, deferred: Deferred.Deferred<ReadableSpan>): SpanProcessor => ({
  onStart: () => undefined,
  onEnd: (span) => {
    if (matches(span)) Deferred.unsafeDone(deferred, Exit.succeed(span))
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve()
})

const IDLE_POLLS = 5

for (const engine of engines("opentelemetry.test.ts")) {
  describe.skipIf(engine.skip)(`a queued app's traces on ${engine.name}`, () => {
    it.scopedLive("idle polls make none; each attempt is an openai.webhook span linked to its request", () =>
      Effect.gen(function*() {
        const exporter = new InMemorySpanExporter()
        const attemptEnded = yield* Deferred.make<ReadableSpan>()
        const Otel = NodeSdk.layer(() => ({
          resource: { serviceName: "opentelemetry-test" },
          spanProcessor: [
            new SimpleSpanProcessor(exporter),
            onEnd((span) => span.name === Reply.span.name && span.kind === SpanKind.CONSUMER, attemptEnded)
          ]
        }))

        const database = yield* engine.database
        const built = yield* Layer.build(
          WebhookInbox.layerSql({ mode: "queued" }).pipe(Layer.provideMerge(database.client()))
        )
        const inbox = Context.get(built, WebhookInbox.WebhookInbox)
        const sql = Context.get(built, SqlClient.SqlClient)
        // The worker's takes, counted: the test waits for idle polls by counting them, not by sleeping.
        let polls = 0
        const polled = yield* Deferred.make<void>()
        const counted: WebhookInbox.Store = {
          ...inbox,
          take: (max) =>
            Effect.tap(inbox.take(max), (rows) => {
              if (rows.length === 0 && ++polls === IDLE_POLLS) Deferred.unsafeDone(polled, Exit.void)
            })
        }
        const handled = yield* Deferred.make<void>()
        const handle = () =>
          Effect.withSpan(Effect.zipRight(Effect.void, Deferred.succeed(handled, undefined)), "handler.work")

        const endpoint = yield* servePlatform(
          Layer.mergeAll(
            HttpLayerRouter.serve(WebhookHttp.layerRoute({ inbox: "queued" }), { disableListenLog: true }),
            WebhookInbox.layerWorker({ handle, pollInterval: "20 millis" })
          ).pipe(Layer.provide(Layer.succeed(WebhookInbox.WebhookInbox, counted))),
          Otel
        )

        yield* Deferred.await(polled)
        assert.deepStrictEqual(exporter.getFinishedSpans().map((span) => span.name), [], "idle polls made spans")

        const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret: SECRET })
        const id = delivery.headers["webhook-id"]!
        const response = yield* Effect.promise(() =>
          endpoint.fetch({ method: "POST", headers: delivery.headers, body: delivery.body as string })
        )
        assert.strictEqual(response.status, 200)
        yield* Deferred.await(handled)
        const attempt = yield* Deferred.await(attemptEnded)

        const spans = exporter.getFinishedSpans()
        const edge = spans.find((span) => span.name === Reply.span.name && span.kind === SpanKind.SERVER)
        assert.isDefined(edge, spans.map((span) => span.name).join(", "))
        assert.strictEqual(edge!.attributes[Reply.span.outcome], "queued")

        // The attempt: a trace of its own (the request's has ended), linked to the request's span.
        assert.deepStrictEqual(attempt.attributes, {
          [Reply.span.id]: id,
          [Reply.span.eventType]: "batch.completed",
          [Reply.span.attempt]: 1
        })
        assert.isUndefined(attempt.parentSpanContext)
        assert.notStrictEqual(attempt.spanContext().traceId, edge!.spanContext().traceId)
        assert.deepStrictEqual(
          attempt.links.map((link) => [link.context.traceId, link.context.spanId]),
          [[edge!.spanContext().traceId, edge!.spanContext().spanId]]
        )
        // The handler's span under it.
        const work = spans.find((span) => span.name === "handler.work")
        assert.isDefined(work)
        assert.strictEqual(work!.spanContext().traceId, attempt.spanContext().traceId)
        assert.strictEqual(work!.parentSpanContext?.spanId, attempt.spanContext().spanId)

        // What links them survives a restart: it is in the row.
        const rows = yield* sql<{ readonly traceparent: string | null }>`SELECT traceparent FROM ${
          sql(InboxSql.tables.deliveries)
        } WHERE webhook_id = ${id}`
        assert.deepStrictEqual(rows.map((row) => TraceContext.parseTraceparent(row.traceparent)?.spanId), [
          edge!.spanContext().spanId
        ])
      }))
  })
}

describe("the README's TracingLive (examples/opentelemetry.ts)", () => {
  it.scopedLive("traces a queued delivery and its attempt, linked, and nothing while the worker waits", () =>
    Effect.gen(function*() {
      // Kept past the SDK's shutdown, which empties an InMemorySpanExporter.
      const exported: Array<ReadableSpan> = []
      const exporter: SpanExporter = {
        export: (spans, done) => {
          exported.push(...spans)
          done({ code: 0 }) // ExportResultCode.SUCCESS
        },
        shutdown: () => Promise.resolve()
      }
      const database = yield* engines("opentelemetry.test.ts")[0]!.database
      const handled = yield* Deferred.make<void>()
      let polls = 0
      const polled = yield* Deferred.make<void>()
      const built = yield* Layer.build(WebhookInbox.layerSql({ mode: "queued" }).pipe(Layer.provide(database.client())))
      const inbox = Context.get(built, WebhookInbox.WebhookInbox)
      const counted: WebhookInbox.Store = {
        ...inbox,
        take: (max) =>
          Effect.tap(inbox.take(max), (rows) => {
            if (rows.length === 0 && ++polls === IDLE_POLLS) Deferred.unsafeDone(polled, Exit.void)
          })
      }
      // The app and its tracing in a scope of their own: closing it flushes the batch processor's spans.
      const app = yield* Scope.make()
      const endpoint = yield* servePlatform(
        Layer.mergeAll(
          HttpLayerRouter.serve(WebhookHttp.layerRoute({ inbox: "queued" }), { disableListenLog: true }),
          WebhookInbox.layerWorker({
            handle: () => Effect.withSpan(Deferred.succeed(handled, undefined), "handler.work"),
            pollInterval: "20 millis"
          })
        ).pipe(Layer.provide(Layer.succeed(WebhookInbox.WebhookInbox, counted))),
        TracingLive(exporter)
      ).pipe(Scope.extend(app))
      yield* Deferred.await(polled)
      const sent = Date.now()
      const delivery = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret: SECRET })
      const response = yield* Effect.promise(() =>
        endpoint.fetch({ method: "POST", headers: delivery.headers, body: delivery.body as string })
      )
      assert.strictEqual(response.status, 200)
      yield* Deferred.await(handled)
      yield* Scope.close(app, Exit.void)

      const spans = exported
      // Nothing from the idle polls before the delivery: every span started after it was sent.
      for (const span of spans) {
        assert.isAtLeast(span.startTime[0] * 1000 + span.startTime[1] / 1e6, sent - 1, span.name)
      }
      const edge = spans.find((span) => span.name === Reply.span.name && span.kind === SpanKind.SERVER)
      const attempt = spans.find((span) => span.name === Reply.span.name && span.kind === SpanKind.CONSUMER)
      const work = spans.find((span) => span.name === "handler.work")
      const names = spans.map((span) => `${span.name}/${span.kind}`).join(", ")
      assert.isDefined(edge, names)
      assert.isDefined(attempt, names)
      assert.strictEqual(attempt!.links[0]?.context.spanId, edge!.spanContext().spanId)
      assert.strictEqual(work?.parentSpanContext?.spanId, attempt!.spanContext().spanId)
    }))
})
