/**
 * The receiver's Prometheus metrics: `GET /metrics` (and `HEAD`) in the text format, by prom-client's
 * `Registry` (see README, Metrics). Read at scrape time, each from its one home:
 *
 * - `openai_webhook_deliveries_total{outcome, event_type}` (counter): what the HTTP core answered each
 *   delivery, from the Effect counters it increments (`WebhookHttp.deliveries`): counted there, once.
 * - `openai_webhook_handler_duration_seconds{event_type, outcome}` (histogram, seconds): each run of the
 *   handler, at the edge in inline mode and in the workers; `outcome` is `processed`, `failed` or
 *   `interrupted` (its timeout, or the receiver stopping). Observed here, by {@link timed}.
 * - `openai_webhook_inbox_deliveries{status}` (gauge, every status, 0 included) and
 *   `openai_webhook_inbox_oldest_pending_age_seconds` (gauge, 0 when nothing waits): one `stats` query of the
 *   inbox, which reads the counts the database keeps (a few rows, whatever the number of deliveries).
 *   `openai_webhook_inbox_up` is 1 when it answered, 0 when it failed, was unhealthy
 *   (`WebhookInbox.health`: its SQLite file deleted or replaced) or took longer than
 *   {@link STATS_TIMEOUT}: then those two gauges are left out of the scrape rather than shown stale, and one
 *   line says why (once, until the inbox answers again).
 * - Node's process metrics (`process_*`, `nodejs_*`): prom-client's defaults, with their default names.
 *
 * A scrape's answer is made at most once per {@link FRESH_FOR}, and shared: scrapes that arrive while it is being
 * made wait for it (one query, one rendering), and those within {@link FRESH_FOR} of it get it as it is. Clients
 * looping on `/metrics` then cost the deliveries one query a second, and the rest is HTTP.
 *
 * Exposure: `/metrics` tells how many deliveries of which types a business receives. Without
 * `WEBHOOK_METRICS_TOKEN` it is served only by a receiver bound to a loopback address (`HOST=127.0.0.1`: only
 * this machine reaches it); bound to any other (`0.0.0.0`, the default, where OpenAI reaches the receiver) it
 * answers 403, saying to set the token, and the start says so once.
 *
 * `event_type` is bounded as the counter bounds it: a type this version knows, or `unknown` (and, on the
 * counter, `none` for a delivery without one), whatever a sender puts in `type`.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client"
import { InboxSql, Reply } from "openai-webhooks-engine"
import { type WebhookEvent, WebhookHttp, WebhookInbox, type Webhooks } from "effect4-openai-webhooks"
import * as Access from "./access.js"
import type { ReceiverConfig } from "./config.js"
import { describe } from "./errors.js"

/** The receiver's handler, as the listener and the workers take it. */
export type Handle<E, R> = (
  event: WebhookEvent.UnwrapWebhookEvent,
  delivery: Webhooks.Delivery
) => Effect.Effect<void, E, R>

/**
 * From 5 ms (a handler that writes a row) to 60 s (far past `WEBHOOK_TIMEOUT`'s default of 10 s): where a
 * handler's time is, on roughly a 1-2.5-5 scale, in 14 series per label set counting `+Inf`.
 */
export const BUCKETS: ReadonlyArray<number> = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60]

type Outcome = "processed" | "failed" | "interrupted"

/**
 * Process-wide, as the deliveries counter beside it is (Effect's metric registry is): the listener's handler
 * and the workers' are one handler, observed into one histogram, whichever layer runs them.
 */
const handlerDuration = new Histogram({
  name: "openai_webhook_handler_duration_seconds",
  help: "Time the webhook handler ran, in seconds, by event type and outcome (processed, failed, interrupted)",
  labelNames: ["event_type", "outcome"],
  buckets: [...BUCKETS],
  registers: []
})

type Series = Readonly<Record<Outcome, Histogram.Internal<"event_type" | "outcome">>>

/**
 * Each event type's series, one per outcome: prom-client's children (`Histogram#labels`), made once, so that a run is
 * one `observe` on its child, where `observe(labels, value)` builds and hashes the label set every time.
 */
const seriesByType = new Map<string, Series>()

const seriesOf = (eventType: string): Series => {
  let found = seriesByType.get(eventType)
  if (found === undefined) {
    const child = (outcome: Outcome) => handlerDuration.labels({ event_type: eventType, outcome })
    found = { processed: child("processed"), failed: child("failed"), interrupted: child("interrupted") }
    seriesByType.set(eventType, found)
  }
  return found
}

/**
 * `handle`, each run timed into `openai_webhook_handler_duration_seconds`. The event's `_tag` is a type this
 * version knows or `unknown`, so the label is bounded. A duplicate is never timed: the handler does not run.
 *
 * `Effect.onExit` sees every end of the run, an interruption (its timeout, the receiver stopping) included: on
 * Effect 4 it is one frame on the fiber's stack, whose callback is the observation, in place of an observer on the
 * fiber (added, then removed) and `matchCauseEffect`.
 */
export const timed = <E, R>(handle: Handle<E, R>): Handle<E, R> => (event, delivery) =>
  // Suspended: the clock starts when the handler runs, not when the inbox is handed its effect.
  Effect.suspend(() => {
    const start = performance.now()
    const series = seriesOf(event._tag)
    return Effect.onExit(handle(event, delivery), (exit) => {
      const outcome = Exit.isSuccess(exit)
        ? "processed"
        : Cause.hasInterruptsOnly(exit.cause)
        ? "interrupted"
        : "failed"
      series[outcome].observe((performance.now() - start) / 1000)
      return Effect.void
    })
  })

/**
 * How long a scrape waits for the inbox's counts. Prometheus gives a scrape 10 s by default: past 5 s the
 * scrape answers without them (`openai_webhook_inbox_up 0`) rather than not at all.
 */
export const STATS_TIMEOUT = Duration.seconds(5)

/**
 * How long a scrape's answer is served as it is: a second, far under any scrape interval (Prometheus's default is
 * 15 s), so that a scrape never sees counts older than that while a loop of scrapes costs one answer a second.
 */
export const FRESH_FOR = Duration.seconds(1)

/** Whether `host` is a loopback address, reachable from this machine only. */
export const isLoopback = (host: string): boolean => {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
  return bare === "localhost" || bare === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(bare)
}

const FORBIDDEN = Reply.jsonAnswer(403, {
  error: {
    type: "MetricsForbidden",
    message: "/metrics is served without a token only to a receiver bound to loopback (HOST=127.0.0.1): set " +
      "WEBHOOK_METRICS_TOKEN and scrape with Authorization: Bearer <token>"
  }
})

const METHOD_NOT_ALLOWED = Reply.jsonAnswer(405, {
  error: { type: "MethodNotAllowed", message: "The metrics are read with GET" }
}, { allow: "GET, HEAD" })

const UNAVAILABLE = Reply.jsonAnswer(500, { error: { type: "MetricsError", message: "The metrics could not be read" } })

/** Copies the Effect counters' series into `counter`, at scrape time (its `collect`). */
function deliveries(this: Counter<string>): void {
  this.reset()
  for (const { count, eventType, outcome } of WebhookHttp.deliveries.unsafeSnapshot()) {
    this.inc({ outcome, event_type: eventType }, count)
  }
}

const INBOX_DELIVERIES = "openai_webhook_inbox_deliveries"
const INBOX_OLDEST_PENDING_AGE = "openai_webhook_inbox_oldest_pending_age_seconds"

/** The registry of one receiver, and the scrape that fills its inbox gauges then renders it. */
const makeRegistry = (inbox: Option.Option<WebhookInbox.Store>) => {
  const registry = new Registry()
  const registers = [registry]
  new Counter({
    name: WebhookHttp.deliveries.name,
    help: WebhookHttp.deliveries.description,
    labelNames: WebhookHttp.deliveries.tags,
    registers,
    collect: deliveries
  })
  registry.registerMetric(handlerDuration)
  collectDefaultMetrics({ register: registry })
  if (Option.isNone(inbox)) return { registry, refresh: Effect.void }

  const byStatus = new Gauge({
    name: INBOX_DELIVERIES,
    help: "Deliveries in the inbox, by status (processing, done, failed, pending, dead)",
    labelNames: ["status"],
    registers
  })
  const oldestPendingAge = new Gauge({
    name: INBOX_OLDEST_PENDING_AGE,
    help: "How long the oldest delivery waiting to be processed (pending or failed) has waited, in seconds; " +
      "0 when none waits",
    registers
  })
  const up = new Gauge({
    name: "openai_webhook_inbox_up",
    help: "1 when the inbox's database answered this scrape's query, 0 when it failed or was too slow, or when " +
      "the inbox is unhealthy (its SQLite file deleted or replaced under the receiver)",
    registers
  })
  // Said when the inbox stops answering and when it answers again, not on every scrape in between.
  let answering = true
  // An inbox whose SQLite file is no longer its own answers from a file nobody will read again: not up.
  const unhealthy = Effect.flatMap(
    WebhookInbox.health,
    (health) => health.healthy ? Effect.void : Effect.fail(health.reason)
  )
  const refresh = Effect.andThen(unhealthy, WebhookInbox.stats).pipe(
    Effect.timeoutOrElse({
      duration: STATS_TIMEOUT,
      orElse: () => Effect.fail(`did not answer within ${Duration.format(STATS_TIMEOUT)}`)
    }),
    Effect.provideService(WebhookInbox.WebhookInbox, inbox.value),
    Effect.matchEffect({
      onSuccess: (stats) => {
        for (const status of InboxSql.statuses) byStatus.set({ status }, stats.byStatus[status])
        oldestPendingAge.set((stats.oldestPendingAgeMs ?? 0) / 1000)
        // Back in the registry, if the last scrape took them out (registering a metric again is allowed).
        registry.registerMetric(byStatus)
        registry.registerMetric(oldestPendingAge)
        up.set(1)
        if (answering) return Effect.void
        answering = true
        return Effect.logInfo("metrics: the inbox answers again")
      },
      onFailure: (error) => {
        // Out of the scrape rather than stale.
        registry.removeSingleMetric(INBOX_DELIVERIES)
        registry.removeSingleMetric(INBOX_OLDEST_PENDING_AGE)
        up.set(0)
        if (!answering) return Effect.void
        answering = false
        return Effect.logWarning("metrics: the inbox did not answer").pipe(
          Effect.annotateLogs({
            error: `${typeof error === "string" ? error : describe(error)}: openai_webhook_inbox_up is 0, and ` +
              "the inbox's gauges are left out until it answers"
          })
        )
      }
    })
  )
  return { registry, refresh }
}

/** A handler of the receiver's own requests, on Node's server. */
export type Listener = (request: IncomingMessage, response: ServerResponse) => void

/**
 * `GET /metrics` of a receiver on `settings`, or undefined when `WEBHOOK_METRICS` is off. It runs on the
 * current runtime: its logger, and its inbox when one is provided. With `WEBHOOK_METRICS_TOKEN` set, a
 * request without `Authorization: Bearer <token>` gets 401 and nothing else, whatever its method. Without it, a
 * receiver bound to other than loopback answers 403 (see the module's comment). `freshFor`: how long an answer
 * is shared ({@link FRESH_FOR}).
 */
export const make = (
  settings: Pick<ReceiverConfig, "metrics" | "metricsToken" | "host">,
  freshFor: Duration.Input = FRESH_FOR
): Effect.Effect<Listener | undefined> =>
  Effect.gen(function*() {
    if (!settings.metrics) return undefined
    const check = Option.map(settings.metricsToken, (token) => Access.make(token))
    if (Option.isNone(check) && !isLoopback(settings.host)) {
      yield* Effect.logWarning(
        `metrics: /metrics answers 403: the receiver is bound to ${settings.host}, beyond this machine, and ` +
          "WEBHOOK_METRICS_TOKEN is unset; set it (openssl rand -hex 32) and give it to Prometheus, or bind to " +
          "HOST=127.0.0.1"
      )
      return (_request, response) => Reply.toNode(response, FORBIDDEN)
    }
    const { refresh, registry } = makeRegistry(yield* Effect.serviceOption(WebhookInbox.WebhookInbox))
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    const render: Effect.Effect<Reply.Answer> = refresh.pipe(
      Effect.andThen(Effect.tryPromise(() => registry.metrics())),
      Effect.map((body): Reply.Answer => ({
        status: 200,
        body,
        headers: { "content-type": registry.contentType, "content-length": String(Buffer.byteLength(body)) }
      })),
      Effect.catchCause((cause) => Effect.as(Effect.logError("metrics: the scrape failed", cause), UNAVAILABLE))
    )
    // One answer at a time, kept `freshFor`: a scrape arriving while it is made waits for it (single flight).
    const fresh = Duration.toMillis(freshFor)
    const scrape = yield* Effect.cachedWithTTL(
      Effect.suspend(() => {
        const until = performance.now() + fresh
        return Effect.map(render, (answer) => ({ answer, until }))
      }),
      freshFor
    )
    // The last answer, served from here while fresh: no fiber per scrape, so a loop of them costs only HTTP.
    let last: { readonly answer: Reply.Answer; readonly until: number } | undefined
    return (request, response) => {
      if (Option.isSome(check) && !check.value.allows(request)) return Reply.toNode(response, Access.UNAUTHORIZED)
      if (request.method !== "GET" && request.method !== "HEAD") return Reply.toNode(response, METHOD_NOT_ALLOWED)
      if (last !== undefined && performance.now() < last.until) return Reply.toNode(response, last.answer)
      runFork(scrape).addObserver((exit) => {
        if (Exit.isSuccess(exit)) last = exit.value
        Reply.toNode(response, Exit.isSuccess(exit) ? exit.value.answer : UNAVAILABLE)
      })
    }
  })
