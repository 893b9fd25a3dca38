/**
 * The inspector as one function from a request to an answer: the engine's door (`Inspector`: the page, the token
 * rule, the API's routing and answers), and the calls it asks for run on this edition's `WebhookInbox`. Every
 * mounting style of `WebhookInspector` (a route layer, an `effect/http` handler, a `node:http` listener) adapts
 * this one function. The same as the Effect 3 edition's but for what Effect 4 says differently: the answer counts
 * are per metric registry (Effect 4 keeps one per context, where Effect 3 had one per process).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { SqlError } from "effect/sql/SqlError"
import { Inspector, type Reply } from "openai-webhooks-engine"
import * as WebhookInbox from "../../WebhookInbox.js"
import { deliveriesIn } from "../http.js"

export interface Options {
  /** Where the page is, `/inbox` by default; its files and API below it. No trailing slash. */
  readonly path: string
  readonly token: Redacted.Redacted<string> | undefined
}

type Answered = Effect.Effect<Reply.Answer, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox>

/** The answer counts of each metric registry: one sampler per registry, however many inspectors read it. */
const counts = new WeakMap<Metric.MetricRegistry, Inspector.Traffic>()

const trafficOf = (context: Context.Context<never>): Inspector.Traffic => {
  const registry = Context.get(context, Metric.MetricRegistry)
  let traffic = counts.get(registry)
  if (traffic === undefined) {
    // Only the registry: the counters are read in it, and nothing else of the context is kept alive.
    const only = Context.make(Metric.MetricRegistry, registry)
    traffic = Inspector.traffic(() => deliveriesIn(only))
    counts.set(registry, traffic)
  }
  return traffic
}

/** The line of a change made from the inspector: what was done, to which ids. */
const logChange = (message: string, annotations: Readonly<Record<string, unknown>>) =>
  Effect.annotateLogs(Effect.logInfo(message), annotations)

/** The ids a recover of `query` would replay now, newest first: the delivery log's pages over its window. */
const recoverable = (
  query: WebhookInbox.RecoverQuery
): Effect.Effect<ReadonlyArray<string>, SqlError | WebhookInbox.InboxError, WebhookInbox.WebhookInbox> =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    const base = Inspector.recoverablePages(query, Date.now())
    let after: string | undefined
    do {
      const page = yield* WebhookInbox.list(after === undefined ? base : { ...base, after })
      for (const delivery of page.deliveries) ids.push(delivery.webhookId)
      after = page.next ?? undefined
    } while (after !== undefined)
    return ids
  })

/** Runs a call of the engine's door on the inbox. */
const run = (call: Inspector.Call, traffic: Inspector.Traffic): Answered => {
  switch (call._tag) {
    case "List":
      return Effect.map(WebhookInbox.list(call.query), Inspector.answers.ok)
    case "Get":
      return Effect.map(
        WebhookInbox.get(call.id),
        Option.match({ onNone: () => Inspector.notFound(call.id), onSome: Inspector.answers.ok })
      )
    case "Replay":
      return Effect.as(
        Effect.andThen(WebhookInbox.replay(call.id), logChange(Inspector.lines.replayed, { webhook_id: call.id })),
        Inspector.answers.replayed(call.id)
      )
    case "Discard":
      return Effect.as(
        Effect.andThen(WebhookInbox.discard(call.id), logChange(Inspector.lines.discarded, { webhook_id: call.id })),
        Inspector.answers.discarded(call.id)
      )
    case "Recoverable":
      return Effect.map(recoverable(call.query), Inspector.answers.recoverable)
    case "Recover":
      return Effect.gen(function*() {
        const ids = yield* recoverable(call.query)
        const recovered = yield* WebhookInbox.recover(call.query)
        yield* logChange(Inspector.lines.recovered, Inspector.recoverAnnotations(call.query, ids, recovered))
        return Inspector.answers.recovered(recovered)
      })
    case "Stats":
      return Effect.map(WebhookInbox.stats, Inspector.answers.ok)
    case "Timeline":
      return Effect.map(
        WebhookInbox.timeline({ since: call.since, bucket: Duration.millis(Inspector.timelineBucketMs) }),
        Inspector.answers.timeline
      )
    case "Answers":
      return Effect.sync(() => Inspector.answers.ok(traffic.read()))
  }
}

/** The page's files, read once; when they cannot be, a line saying so, and the API is served without them. */
const loadPage = (base: string): Effect.Effect<Inspector.Page | undefined> => {
  const page = Inspector.loadPage(base)
  return page.ok
    ? Effect.succeed(page.value)
    : Effect.as(
      Effect.annotateLogs(
        Effect.logError("inspector: its page cannot be read; its API is served"),
        "error",
        page.error
      ),
      undefined
    )
}

/**
 * The inspector: reads the page's files once and starts its registry's count of answers per minute; then answers
 * each request. Never fails: the inbox's errors are answers (404, 409, 400, 500 with a line in the log). The
 * `WebhookInbox` is the one found here, provided to each call alone: a request keeps its own scope, span and log
 * annotations.
 */
export const make = (
  options: Options
): Effect.Effect<(request: Inspector.Request) => Effect.Effect<Reply.Answer>, never, WebhookInbox.WebhookInbox> =>
  Effect.gen(function*() {
    const store = yield* WebhookInbox.WebhookInbox
    const traffic = trafficOf(yield* Effect.context<never>())
    const page = yield* loadPage(options.path)
    traffic.start()
    const door = Inspector.make({
      path: options.path,
      token: options.token === undefined ? undefined : Redacted.value(options.token),
      page
    })
    const answer = (routed: Inspector.Routed): Effect.Effect<Reply.Answer> =>
      routed._tag === "Answer" ? Effect.succeed(routed.answer) : run(routed.call, traffic).pipe(
        Effect.catchTags({
          InboxError: (e: WebhookInbox.InboxError) => Effect.succeed(Inspector.inboxError(e)),
          SqlError: (e: SqlError) =>
            Effect.as(
              Effect.logError("inspector: the inbox's database failed", Cause.fail(e)),
              Inspector.databaseFailed
            )
        }),
        Effect.catchDefect((defect) =>
          Effect.as(Effect.logError("inspector: failed", Cause.die(defect)), Inspector.failed)
        ),
        Effect.provideService(WebhookInbox.WebhookInbox, store)
      )
    return (request) => {
      const routed = door(request)
      return routed instanceof Promise ? Effect.flatMap(Effect.promise(() => routed), answer) : answer(routed)
    }
  })
