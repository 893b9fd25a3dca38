/**
 * The framework-neutral core of every HTTP mounting style: from the raw body and headers of a POST
 * to a status, a small JSON body, one log line, one span and a metric. The replies, their words and the
 * names of the line's fields are the engine's (`Reply`); the body reading is the engine's (`Body`); the words of
 * an option that cannot be used are the engine's (`Options`). What is left here is Effect 4's spelling of it.
 *
 * A delivery's story flows one way: the delivery comes to an outcome, and {@link finish} turns it into the
 * reply, the line, the span's attributes and the count. Under a timeout, the edge answers 500 at once and
 * words the line from what the delivery had reported (its log annotations, and the inbox `Progress` it
 * writes); it tells the delivery only by interrupting it, as `deadline.timeoutId`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import {
  Body,
  Events,
  Headers as headers,
  Options as EngineOptions,
  Reply,
  type Result as EngineResult,
  Signature
} from "openai-webhooks-engine"
import { DecodeError, type IllegalArgumentError } from "../WebhookError.js"
import type { DeliveryCount, Options, QueuedOptions } from "../WebhookHttp.js"
import type { Handler } from "../Webhooks.js"
import { WebhookSecret } from "../WebhookSecret.js"
import * as protocol from "./inbox/protocol.js"
import { type Mode, type Store, WebhookInbox } from "./inbox/store.js"
import * as body from "./body.js"
import * as deadline from "./deadline.js"
import * as decode from "./decode.js"
import * as Checks from "./options.js"
import * as signature from "./signature.js"
import * as tracing from "./tracing.js"

/** OpenAI's payloads are small; a megabyte leaves room and bounds what one request can cost us. */
export const DEFAULT_MAX_BODY_SIZE = Body.defaultLimit

export interface Settings<E, R> {
  readonly handle: Handler<E, R>
  readonly maxBodySize: number
  /** The 413 reply, built once: it names the limit. */
  readonly tooLarge: Reply.Reply
  readonly timeout: Duration.Duration | undefined
  readonly tolerance: number
  /**
   * What the route said of an inbox: `inline` or `queued` (its type requires one, of that mode), or nothing:
   * the inbox its context holds when it starts, if any.
   */
  readonly uses: Mode | undefined
  /** The inbox deliveries go through, found once when the route starts ({@link start}); none: every copy runs. */
  readonly inbox: Store | undefined
}

/** A route's settings before it starts: what its options say, and the first of them that cannot be used. */
export interface Prepared<E, R> {
  /** Its defaults stand in for an option that cannot be used: a route with a `problem` never starts. */
  readonly settings: Settings<E, R>
  readonly problem: IllegalArgumentError | undefined
}

/** What a queued route has in place of a handler: the inbox stores its deliveries and never calls it. */
const STORED: Handler<never, never> = () => Effect.die("a queued route's deliveries are stored, never handled")

/** The options, checked, without a throw: a problem is reported when the route starts ({@link start}). */
export const prepare = <E, R>(options: Options<E, R> | QueuedOptions): Prepared<E, R> => {
  let problem: IllegalArgumentError | undefined
  const check = <A>(checked: Result.Result<A, IllegalArgumentError>, fallback: A): A => {
    if (Result.isSuccess(checked)) return checked.success
    problem ??= checked.failure
    return fallback
  }
  const maxBodySize = options.maxBodySize === undefined
    ? DEFAULT_MAX_BODY_SIZE
    : check(Checks.whole("WebhookHttp", "maxBodySize", options.maxBodySize, 1, "bytes"), DEFAULT_MAX_BODY_SIZE)
  const timeout = options.timeout === undefined
    ? undefined
    : check(Checks.duration("WebhookHttp", "timeout", options.timeout, true), undefined)
  const tolerance = options.tolerance === undefined
    ? undefined
    : check(Checks.duration("WebhookHttp", "tolerance", options.tolerance, false), undefined)
  const uses: unknown = options.inbox
  if (uses !== undefined && !EngineOptions.isMode(uses)) {
    problem ??= Checks.illegal("WebhookHttp", "inbox", "Malformed", EngineOptions.expectedMode(uses))
  }
  const handle = options.inbox === "queued" ? STORED : options.handle
  if (typeof handle !== "function") {
    problem ??= Checks.illegal("WebhookHttp", "handle", "Malformed", EngineOptions.expectedHandler(handle))
  }
  return {
    settings: {
      handle: typeof handle === "function" ? handle as Handler<E, R> : STORED,
      maxBodySize,
      tooLarge: Reply.tooLarge(maxBodySize),
      timeout,
      tolerance: signature.toleranceSeconds(tolerance),
      uses: EngineOptions.isMode(uses) ? uses : undefined,
      inbox: undefined
    },
    problem
  }
}

/**
 * The route's settings with the inbox it found when it started, or why it cannot start: an option that cannot
 * be used, or an inbox of another mode than the route said. Synchronous: `toHttpApp` calls it per new inbox.
 */
const resolve = <E, R>(
  prepared: Prepared<E, R>,
  inbox: Store | undefined
): Result.Result<Settings<E, R>, IllegalArgumentError> => {
  if (prepared.problem !== undefined) return Result.fail(prepared.problem)
  const { settings } = prepared
  if (settings.uses !== undefined) {
    if (inbox === undefined) {
      // The route's type requires the inbox when its options say `inbox` as a literal: only options of a wider
      // type (a variable of type `Options`, a cast) get here.
      return Result.fail(Checks.illegal("WebhookHttp", "inbox", "Conflict", EngineOptions.noInbox(settings.uses)))
    }
    if (inbox.mode !== settings.uses) {
      const message = EngineOptions.inboxOfOtherMode(settings.uses, inbox.mode)
      return Result.fail(Checks.illegal("WebhookHttp", "inbox", "Conflict", message))
    }
  }
  return Result.succeed(inbox === undefined ? settings : { ...settings, inbox })
}

/** The annotations of a delivery's line. */
const F = Reply.fields

/**
 * Said once, when a route starts without an inbox (the engine's words): every copy of a delivery runs the handler.
 */
const notDeduplicated: Effect.Effect<void> = Effect.annotateLogs(
  Effect.logWarning(EngineOptions.notDeduplicated.message),
  F.error,
  EngineOptions.notDeduplicated.error
)

/**
 * Starts a route on the inbox of its context (looked up once, here, never per request): its settings, or its
 * `IllegalArgumentError`. Without an inbox, says once that deliveries are not deduplicated.
 */
export const start = <E, R>(
  prepared: Prepared<E, R>,
  context: Context.Context<never>
): Effect.Effect<Settings<E, R>, IllegalArgumentError> => {
  const inbox = Context.getOrUndefined(context, WebhookInbox)
  const resolved = resolve(prepared, inbox)
  if (Result.isFailure(resolved)) return Effect.fail(resolved.failure)
  return inbox !== undefined ? Effect.succeed(resolved.success) : Effect.as(notDeduplicated, resolved.success)
}

/** The engine's levels as Effect 4 names them. */
const LEVELS: Readonly<Record<Reply.Level, LogLevel.Severity>> = {
  info: "Info",
  warning: "Warn",
  error: "Error"
}

/**
 * The line of each outcome without a cause: its word at its level. Built once: an Effect is a description, and
 * one serves every delivery.
 */
const LINES = Object.fromEntries(
  Reply.outcomes.map((outcome) => [outcome, Effect.logWithLevel(LEVELS[Reply.levels[outcome]])(outcome)])
) as Readonly<Record<Reply.Outcome, Effect.Effect<void>>>

/** The line of `outcome`, with the cause that came to it. */
const lineWith = (outcome: Reply.Outcome, cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Effect.logWithLevel(LEVELS[Reply.levels[outcome]])(outcome, cause)

/** One series of the deliveries counter: an outcome and an `event_type` attribute. */
interface Series {
  readonly outcome: Reply.Outcome
  readonly eventType: string
  readonly metric: Metric.Counter<number>
  /** Built once: the same description serves every delivery of the series. */
  readonly increment: Effect.Effect<void>
}

/** Every series so far, in the order they were first counted. */
const series: Array<Series> = []

/**
 * The series of each outcome, by event type: two lookups of strings that keep their hash (the outcome's literal,
 * the event's tag), where one key joining both would be a new string to hash per delivery.
 */
const seriesOf = new Map<Reply.Outcome, Map<string, Series>>()

/**
 * The counter for one outcome and event type, with its attributes in its key, built once per pair. The wire
 * `type` is an attribute only when it is one we know (`Reply.metricEventType`), which bounds the series to
 * outcomes x (known types + 2), whatever a sender puts in `type`: a metric registry never drops a series.
 */
const counted = (outcome: Reply.Outcome, eventType: string | undefined): Effect.Effect<void> => {
  const tag = Reply.metricEventType(eventType, Events.isKnown)
  let ofOutcome = seriesOf.get(outcome)
  if (ofOutcome === undefined) {
    ofOutcome = new Map()
    seriesOf.set(outcome, ofOutcome)
  }
  let found = ofOutcome.get(tag)
  if (found === undefined) {
    const metric = Metric.counter(Reply.metric.name, {
      description: Reply.metric.description,
      incremental: true,
      attributes: { [Reply.metric.tags[0]]: outcome, [Reply.metric.tags[1]]: tag }
    })
    found = { outcome, eventType: tag, metric, increment: Metric.update(metric, 1) }
    ofOutcome.set(tag, found)
    series.push(found)
  }
  return found.increment
}

/**
 * Every series counted so far, read from the counters this module increments (no lookup by name), in the metric
 * registry of `context`: Effect 4 keeps a registry per context (the default one unless a `MetricRegistry` is
 * provided), where Effect 3 had one per process.
 */
export const deliveriesIn = (context: Context.Context<never>): ReadonlyArray<DeliveryCount> =>
  series.map(({ eventType, metric, outcome }) => ({
    outcome,
    eventType,
    count: metric.valueUnsafe(context).count
  }))

/** The `openai.webhook` span around a delivery, when a tracer is installed (see `tracing.ts`). */
const traced = <A, E, R>(effect: Effect.Effect<A, E, R>, webhookId: string): Effect.Effect<A, E, R> =>
  tracing.span(effect, Reply.span.name, { kind: "server", attributes: { [Reply.span.id]: webhookId } })

/** Written to and never read: a delivery without a timeout reports its phases to nobody. */
const UNWATCHED: protocol.Progress = { phase: "handler" }

/**
 * Sets the delivery's annotations on the fiber that runs it, for the rest of its run: the handler's own lines and
 * the outcome line carry them, and a timed-out delivery's line reads its event type there. Every mounting style
 * runs a delivery in a fiber of its own (the platform's request fiber, or ours), so they are set on it rather than
 * around an effect: measured on Effect 3, `annotateLogs` around the handler cost a tenth of the receiver's
 * throughput.
 */
const annotate = <A, E, R>(
  webhookId: string,
  eventType: string,
  then: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    fiber.setContext(
      Context.add(fiber.context, References.CurrentLogAnnotations, {
        ...annotations,
        [F.webhookId]: webhookId,
        [F.eventType]: eventType
      })
    )
    return then
  })

/**
 * Verifies, decodes and dispatches one POST body. Never fails: every outcome is a reply, logged once
 * (annotated with the webhook id and event type), traced as `openai.webhook` and counted. The inbox
 * reports its phases to `progress`. `verdict` is the signature's, when it was reached before (by Web Crypto).
 */
const processDelivery = <E, R>(
  settings: Settings<E, R>,
  body: Uint8Array,
  input: headers.HeadersInput,
  progress: protocol.Progress,
  verdict?: EngineResult.Result<Signature.Delivery, Signature.Problem>
): Effect.Effect<Reply.Reply, never, R | WebhookSecret> => {
  const webhookId = idOf(input)
  const verifyAndHandle = Effect.withFiber((fiber): Effect.Effect<Reply.Reply, never, R> => {
    const secrets = Context.getUnsafe(fiber.context as Context.Context<WebhookSecret>, WebhookSecret)
    const now = Math.floor(fiber.getRef(Clock.Clock).currentTimeMillisUnsafe() / 1000)
    // A runtime without node:crypto (an edge runtime) verifies on Web Crypto first; Node takes the synchronous path.
    if (verdict === undefined && !Signature.synchronous) {
      return Effect.flatMap(
        signature.verifyRequestAsync(secrets.keys, input, body, now, settings.tolerance),
        (verdict) => processDelivery(settings, body, input, progress, verdict)
      ) as Effect.Effect<Reply.Reply, never, R>
    }
    // The engine's result as it is: the edge needs only the reason and message of a failure, not an error object.
    const verified = verdict ?? Signature.verifyRequest(secrets.keys, input, body, now, settings.tolerance)
    if (!verified.ok) {
      const error = verified.error
      return finish(
        Reply.rejected(error.reason),
        undefined,
        Effect.annotateLogs(LINES.rejected, {
          [F.webhookId]: webhookId,
          [F.reason]: error.reason,
          [F.error]: error.message
        })
      )
    }
    const delivery = verified.value
    const event = decode.decodeOrError(body)
    if (event instanceof DecodeError) {
      // Authentic but unreadable: keep the raw body in the log so nothing OpenAI sent is lost.
      return finish(
        Reply.invalid(event.reason),
        event.eventType,
        Effect.annotateLogs(LINES.invalid, {
          [F.webhookId]: webhookId,
          ...(event.eventType === undefined ? {} : { [F.eventType]: Reply.loggedType(event.eventType) }),
          [F.reason]: event.reason,
          [F.error]: event.message,
          [F.body]: Reply.loggedBody(body)
        })
      )
    }
    const eventType = decode.eventTypeOf(event)
    // Suspended: in queued mode, or for a duplicate, the handler is not even called (and a throw is a defect).
    const handled = Effect.suspend(() => settings.handle(event, delivery))
    return annotate(
      webhookId,
      eventType,
      // The inbox was found when the route started: no lookup per delivery.
      settings.inbox === undefined
        ? Effect.matchCauseEffect(handled, {
          onSuccess: () => finish(Reply.processed, eventType, LINES.processed),
          onFailure: (cause) => finish(Reply.failed, eventType, lineWith("failed", cause))
        })
        : Effect.flatMap(
          protocol.process(settings.inbox, delivery, eventType, body, handled, settings.timeout, progress),
          (outcome) => answer(outcome, eventType, body)
        )
    )
  })
  return traced(verifyAndHandle, webhookId)
}

/**
 * The one place an outcome becomes what a delivery leaves behind: the span's outcome and event type, the line
 * (`log`), the count; then the reply.
 */
const finish = (
  reply: Reply.Reply,
  eventType: string | undefined,
  log: Effect.Effect<void>
): Effect.Effect<Reply.Reply> =>
  Effect.withFiber((fiber) => {
    // Without a span (no tracer installed), there is nothing to annotate.
    if (fiber.getRef(Tracer.Tracer) !== tracing.nativeTracer) {
      const span = Context.getOrUndefined(fiber.context, Tracer.ParentSpan)
      if (span !== undefined && span._tag === "Span") {
        span.attribute(Reply.span.outcome, reply.outcome)
        span.attribute(Reply.span.eventType, eventType ?? "")
      }
    }
    return Effect.as(Effect.andThen(log, counted(reply.outcome, eventType)), reply)
  })

/** The reply and the line of what the inbox made of a delivery. */
const answer = (outcome: protocol.Outcome, eventType: string, body: Uint8Array): Effect.Effect<Reply.Reply> => {
  switch (outcome._tag) {
    case "Invalid":
      // Authentic, and kept nowhere: the line holds the body, as for a body that cannot be decoded.
      return finish(
        Reply.invalid(outcome.reason),
        eventType,
        Effect.annotateLogs(LINES.invalid, {
          [F.reason]: outcome.reason,
          [F.error]: outcome.message,
          [F.body]: Reply.loggedBody(body)
        })
      )
    case "Processed":
      return finish(Reply.processed, eventType, LINES.processed)
    case "Duplicate":
      return finish(Reply.duplicate, eventType, LINES.duplicate)
    case "Queued":
      return finish(Reply.queued, eventType, LINES.queued)
    case "Failed":
      return finish(Reply.failed, eventType, lineWith("failed", outcome.cause))
    case "Held":
      return finish(
        Reply.failed,
        eventType,
        Effect.annotateLogs(LINES.failed, F.error, Reply.unfinished("held", Duration.format(outcome.waited)))
      )
    case "StoreFailed":
      return finish(
        Reply.failed,
        eventType,
        Effect.annotateLogs(lineWith("failed", outcome.cause), F.error, Reply.storeFailed)
      )
  }
}

/** The `webhook-id` for logs and spans: `none` when absent. */
const idOf = (input: headers.HeadersInput): string => headers.get(input, "webhook-id") ?? Reply.noId

/** A reply that never reached `processDelivery` (405, 413): logged and counted the same way. */
const early = (reply: Reply.Reply, input: headers.HeadersInput): Effect.Effect<Reply.Reply> => {
  const webhookId = idOf(input)
  const log = Effect.annotateLogs(LINES[reply.outcome], F.webhookId, webhookId)
  return traced(finish(reply, undefined, log), webhookId)
}

/** The raw body cannot be had (a body parser or a middleware read it first): `why` says how to mount us. */
const unreadable = (input: headers.HeadersInput, why: string): Effect.Effect<Reply.Reply> => {
  const webhookId = idOf(input)
  const log = Effect.annotateLogs(LINES.failed, { [F.webhookId]: webhookId, [F.error]: why })
  return traced(finish(Reply.failed, undefined, log), webhookId)
}

/** Our own code threw where it should not have: 500 (OpenAI retries) and the cause in a line. */
const crashed = (error: unknown): Effect.Effect<Reply.Reply> =>
  finish(
    Reply.failed,
    undefined,
    Effect.annotateLogs(lineWith("failed", Cause.die(error)), { [F.webhookId]: Reply.noId, [F.error]: Reply.crashed })
  )

/**
 * The reply of a delivery's fiber. One that ended without a reply (a web handler's layer that failed to
 * build, a bug) is answered 500 and its cause logged, on Effect's default logger when the runtime that
 * would have logged it is the one that failed.
 */
const settle = (runFork: RunFork, exit: Exit.Exit<Reply.Reply, unknown>): Reply.Reply => {
  if (Exit.isSuccess(exit)) return exit.value
  if (!Cause.hasInterruptsOnly(exit.cause)) {
    const log = lineWith("failed", exit.cause)
    runFork(log).addObserver((logged) => {
      if (Exit.isFailure(logged)) Effect.runFork(log)
    })
  }
  return Reply.failed
}

/**
 * The line, span and count of a delivery the edge timed out, from what it had reported: the event type in its
 * fiber's log annotations (set once it was decoded), and the phase it was in.
 */
const timedOut = (
  input: headers.HeadersInput,
  fiber: Fiber.Fiber<Reply.Reply, unknown>,
  phase: Reply.Phase,
  after: Duration.Duration
): Effect.Effect<Reply.Reply> => {
  const webhookId = idOf(input)
  const annotated = fiber.getRef(References.CurrentLogAnnotations)[F.eventType]
  const eventType = typeof annotated === "string" ? annotated : undefined
  return traced(
    finish(
      Reply.failed,
      eventType,
      Effect.annotateLogs(LINES.failed, {
        [F.webhookId]: webhookId,
        ...(eventType === undefined ? {} : { [F.eventType]: eventType }),
        [F.error]: Reply.unfinished(phase, Duration.format(after))
      })
    ),
    webhookId
  )
}

/**
 * Runs one delivery in a fiber of its own and answers through `send`, exactly once. With a timeout, the
 * one timer of {@link deadline.watch} answers 500 at once and interrupts the delivery.
 */
const runDelivery = <E, R>(
  runFork: RunFork,
  settings: Settings<E, R>,
  body: Uint8Array,
  input: headers.HeadersInput,
  send: (reply: Reply.Reply) => void
): void => {
  const after = settings.timeout
  if (after === undefined) {
    runFork(processDelivery(settings, body, input, UNWATCHED)).addObserver((exit) => send(settle(runFork, exit)))
    return
  }
  const progress: protocol.Progress = { phase: "handler" }
  const fiber = runFork(processDelivery(settings, body, input, progress))
  deadline.watch(fiber, after, (exit) => send(settle(runFork, exit)), () => {
    send(Reply.failed)
    runFork(timedOut(input, fiber, progress.phase, after))
  })
}

/** The same in an Effect (the platform's request fiber), with the same timer. */
const deliver = <E, R>(
  settings: Settings<E, R>,
  body: Uint8Array,
  input: headers.HeadersInput
): Effect.Effect<Reply.Reply, never, R | WebhookSecret> => {
  const after = settings.timeout
  if (after === undefined) return processDelivery(settings, body, input, UNWATCHED)
  const progress: protocol.Progress = { phase: "handler" }
  return deadline.within(
    processDelivery(settings, body, input, progress),
    after,
    (after, fiber) => timedOut(input, fiber, progress.phase, after)
  )
}

/**
 * Forks an effect on the runtime of a mounting style (its services, logger and tracer). The services a delivery
 * needs were checked by the mounting style's types; the runtime holds them.
 */
export type RunFork = <A, E>(effect: Effect.Effect<A, E, any>) => Fiber.Fiber<A, unknown>

/**
 * The edge of the callback-style mountings (the Node listener, the web handler): the method, the body,
 * then the delivery in a fiber of its own. `send` is called once, whatever happens; a throw here is
 * answered 500 with a line, never an exception in the server's code. A route that could not start and had no
 * start to fail (`toWebHandler`, whose layer is built at its first request) answers 500 with a line saying why.
 */
export const serve = <Request, E, R>(
  runFork: RunFork,
  route: Result.Result<Settings<E, R>, IllegalArgumentError>,
  source: Body.Source<Request, headers.HeadersInput>,
  request: Request,
  send: (reply: Reply.Reply) => void
): void => {
  const respond = (effect: Effect.Effect<Reply.Reply>) =>
    runFork(effect).addObserver((exit) => send(settle(runFork, exit)))
  try {
    const input = source.headers(request)
    if (Result.isFailure(route)) return void respond(unreadable(input, route.failure.message))
    const settings = route.success
    if (source.method(request) !== "POST") return void respond(early(Reply.methodNotAllowed, input))
    source.read(request, settings.maxBodySize, {
      body: (bytes) => runDelivery(runFork, settings, bytes, input, send),
      tooLarge: () => respond(early(settings.tooLarge, input)),
      unreadable: (why) => respond(unreadable(input, why))
    })
  } catch (error) {
    respond(crashed(error))
  }
}

/** The same edge in an Effect, for the platform's request (`toHttpApp`, `layerRoute`). */
export const serveEffect = <E, R>(
  settings: Settings<E, R>,
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Reply.Reply, never, R | WebhookSecret> => {
  const input = request.headers
  if (request.method !== "POST") return early(Reply.methodNotAllowed, input)
  return Effect.flatMap(body.readPlatform(request, settings.maxBodySize), (read) =>
    read._tag === "Body"
      ? deliver(settings, read.bytes, input)
      : read._tag === "TooLarge"
      ? early(settings.tooLarge, input)
      : unreadable(input, read.why))
}

/**
 * `toHttpApp`'s edge. It has no start of its own: the platform gives each request its context, so the inbox is
 * looked up per request (only that: a route that says `inbox` needs it, one that does not takes one if its context
 * has one). The settings made for the last inbox seen are kept: a request costs one lookup and one comparison. A
 * route that cannot start answers each delivery 500 with a line saying why; one without an inbox says once, at its
 * first request, that deliveries are not deduplicated.
 */
export const serveApp = <E, R>(
  prepared: Prepared<E, R>
): (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<Reply.Reply, never, R | WebhookSecret> => {
  let seen: Store | undefined | null = null // null: no request yet
  let current: Result.Result<Settings<E, R>, IllegalArgumentError> = Result.succeed(prepared.settings)
  let warned = false
  const serveWith = (request: HttpServerRequest.HttpServerRequest, inbox: Store | undefined) => {
    if (inbox !== seen) {
      seen = inbox
      current = resolve(prepared, inbox)
    }
    if (Result.isFailure(current)) return unreadable(request.headers, current.failure.message)
    const served = serveEffect(current.success, request)
    if (inbox !== undefined || warned) return served
    warned = true
    return Effect.andThen(notDeduplicated, served)
  }
  return (request) =>
    Effect.flatMap(Effect.serviceOption(WebhookInbox), (inbox) => serveWith(request, Option.getOrUndefined(inbox)))
}

/** What a route captured when its layer was built never stands in for its request's: its scope, span, request. */
const REQUEST_OWN = [
  Scope.Scope.key,
  Tracer.ParentSpanKey,
  References.CurrentLogAnnotations.key,
  References.CurrentLogSpans.key
]

/** The services a route captured when its layer was built, without what belongs to each request. */
export const capturable = (context: Context.Context<never>): Context.Context<never> => {
  const kept = new Map(context.mapUnsafe)
  for (const key of REQUEST_OWN) kept.delete(key)
  return Context.makeUnsafe(kept)
}

/**
 * Runs a route's delivery with the services captured when its layer was built (`layerRoute`). A request's
 * context usually holds them already (the application provided them to the server): then nothing is merged, where
 * `Effect.provideContext` would copy both contexts per request. Otherwise they are provided over the request's.
 */
export const withCaptured = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  captured: Context.Context<never>
): Effect.Effect<A, E, never> =>
  Effect.withFiber((fiber) => {
    const current = fiber.context.mapUnsafe
    for (const [key, service] of captured.mapUnsafe) {
      if (current.get(key) !== service) return Effect.provideContext(effect as Effect.Effect<A, E>, captured)
    }
    return effect as Effect.Effect<A, E>
  })
