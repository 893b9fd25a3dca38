/**
 * The framework-neutral core of every HTTP mounting style: from the raw body and headers of a POST
 * to a status, a small JSON body, one log line, one span and a metric.
 *
 * @internal
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as MetricKey from "effect/MetricKey"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import type { DecodeError, IllegalArgumentException, SignatureError } from "../WebhookError.js"
import type { Options, QueuedOptions } from "../WebhookHttp.js"
import type { Handler } from "../Webhooks.js"
import { isEventType, type UnwrapWebhookEvent } from "../WebhookEvent.js"
import { WebhookSecret } from "../WebhookSecret.js"
import * as protocol from "./inbox/protocol.js"
import { type Mode, type Store, WebhookInbox } from "./inbox/store.js"
import * as body from "./body.js"
import * as deadline from "./deadline.js"
import * as decode from "./decode.js"
import * as headers from "./headers.js"
import * as Checks from "./options.js"
import { json, type Outcome, type Reply } from "./reply.js"
import * as signature from "./signature.js"

/** OpenAI's payloads are small; a megabyte leaves room and bounds what one request can cost us. */
export const DEFAULT_MAX_BODY_SIZE = 1024 * 1024

export interface Settings<E, R> {
  readonly handle: Handler<E, R>
  readonly maxBodySize: number
  /** The 413 reply, built once: it names the limit. */
  readonly tooLarge: Reply
  readonly timeout: Duration.Duration | undefined
  readonly tolerance: number
  /**
   * What the route said of an inbox: `inline` or `queued` (its type requires one, of that mode), or nothing:
   * the inbox its context holds when it starts, if any (0.2's behaviour, kept for routes that do not say).
   */
  readonly uses: Mode | undefined
  /** The inbox deliveries go through, found once when the route starts ({@link start}); none: every copy runs. */
  readonly inbox: Store | undefined
}

/** A route's settings before it starts: what its options say, and the first of them that cannot be used. */
export interface Prepared<E, R> {
  /** Its defaults stand in for an option that cannot be used: a route with a `problem` never starts. */
  readonly settings: Settings<E, R>
  readonly problem: IllegalArgumentException | undefined
}

/** What a queued route has in place of a handler: the inbox stores its deliveries and never calls it. */
const STORED: Handler<never, never> = () => Effect.dieMessage("a queued route's deliveries are stored, never handled")

/** The options, checked, without a throw: a problem is reported when the route starts ({@link start}). */
export const prepare = <E, R>(options: Options<E, R> | QueuedOptions): Prepared<E, R> => {
  let problem: IllegalArgumentException | undefined
  const check = <A>(checked: Either.Either<A, IllegalArgumentException>, fallback: A): A => {
    if (Either.isRight(checked)) return checked.right
    problem ??= checked.left
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
  const uses = options.inbox
  if (uses !== undefined && uses !== "inline" && uses !== "queued") {
    problem ??= Checks.illegal(
      "WebhookHttp",
      "inbox",
      "Malformed",
      `Expected "inline" or "queued"; got ${String(uses)}`
    )
  }
  const handle = options.inbox === "queued" ? STORED : options.handle
  if (typeof handle !== "function") {
    problem ??= Checks.illegal(
      "WebhookHttp",
      "handle",
      "Malformed",
      `Expected a function, (event, delivery) => Effect; got ${String(handle)} ` +
        `(a route without one says inbox: "queued")`
    )
  }
  return {
    settings: {
      handle: typeof handle === "function" ? handle as Handler<E, R> : STORED,
      maxBodySize,
      tooLarge: tooLarge(maxBodySize),
      timeout,
      tolerance: signature.toleranceSeconds(tolerance),
      uses: uses === "inline" || uses === "queued" ? uses : undefined,
      inbox: undefined
    },
    problem
  }
}

/**
 * The route's settings with the inbox it found when it started, or why it cannot start: an option that cannot
 * be used, or an inbox of another mode than the route said. Synchronous: `toHttpApp` calls it per new inbox.
 */
const resolve = <E, R>(prepared: Prepared<E, R>, inbox: Store | undefined): Either.Either<
  Settings<E, R>,
  IllegalArgumentException
> => {
  if (prepared.problem !== undefined) return Either.left(prepared.problem)
  const { settings } = prepared
  if (settings.uses !== undefined) {
    if (inbox === undefined) {
      // The route's type requires the inbox when its options say `inbox` as a literal: only options of a wider
      // type (a variable of type `Options`, a cast) get here.
      return Either.left(Checks.illegal(
        "WebhookHttp",
        "inbox",
        "Conflict",
        `the route says inbox: "${settings.uses}", and no WebhookInbox is provided: provide WebhookInbox.layerSql`
      ))
    }
    if (inbox.mode !== settings.uses) {
      return Either.left(Checks.illegal(
        "WebhookHttp",
        "inbox",
        "Conflict",
        `the route says inbox: "${settings.uses}", and the WebhookInbox it is given is ${inbox.mode}: build it ` +
          `with WebhookInbox.layerSql({ mode: "${settings.uses}" }) (or WEBHOOK_MODE=${settings.uses} for ` +
          `WebhookInbox.layerConfig)`
      ))
    }
  }
  return Either.right(inbox === undefined ? settings : { ...settings, inbox })
}

/**
 * Said once, when a route starts without an inbox: every copy of a delivery (OpenAI sends some, and retries
 * any answer that is not 2xx) runs the handler. Most likely an inbox given to `layerWorker` only.
 */
const notDeduplicated: Effect.Effect<void> = Effect.logWarning("deliveries are not deduplicated").pipe(
  Effect.annotateLogs(
    "error",
    "this webhook route has no WebhookInbox, so every copy of a webhook-id runs the handler: to deduplicate, " +
      "provide WebhookInbox.layerSql to the route (not only to WebhookInbox.layerWorker) and say inbox: \"inline\" " +
      "(or \"queued\") in its options"
  )
)

/**
 * Starts a route on the inbox of its context (looked up once, here, never per request): its settings, or its
 * `IllegalArgumentException`. Without an inbox, says once that deliveries are not deduplicated.
 */
export const start = <E, R>(
  prepared: Prepared<E, R>,
  context: Context.Context<never>
): Effect.Effect<Settings<E, R>, IllegalArgumentException> => {
  const inbox = Option.getOrUndefined(Context.getOption(context, WebhookInbox))
  const resolved = resolve(prepared, inbox)
  if (Either.isLeft(resolved) || inbox !== undefined) return resolved
  return Effect.as(notDeduplicated, resolved.right)
}

const PROCESSED: Reply = json(200, "processed", { received: true })
const DUPLICATE: Reply = json(200, "duplicate", { received: true, duplicate: true })
const QUEUED: Reply = json(200, "queued", { received: true, queued: true })

const methodNotAllowed: Reply = json(405, "method_not_allowed", {
  error: { type: "MethodNotAllowed", message: "Webhook deliveries are POST requests" }
})

const tooLarge = (limit: number): Reply =>
  json(413, "too_large", { error: { type: "PayloadTooLarge", message: `The body is larger than ${limit} bytes` } })

const rejected = (error: SignatureError): Reply =>
  json(401, "rejected", { error: { type: "SignatureError", reason: error.reason } })

const invalid = (error: DecodeError): Reply =>
  json(400, "invalid", { error: { type: "DecodeError", reason: error.reason } })

const FAILED: Reply = json(500, "failed", {
  error: { type: "HandlerError", message: "The delivery was not processed; it will be retried" }
})

/** The deliveries counter's name and description in Effect's metric registry, where exporters find it. */
export const DELIVERIES = "openai_webhook_deliveries_total"
export const DELIVERIES_DESCRIPTION = "OpenAI webhook deliveries received, by outcome and event type"
/** Its tags: `outcome` (a {@link Outcome}) and `event_type` (a known type, `unknown` or `none`). */
export const DELIVERIES_TAGS = ["outcome", "event_type"] as const

const counters = new Map<string, Metric.Metric.Counter<number>>()

/**
 * The counter for one outcome and event type, with its tags in the key. Measured: `Metric.tagged`
 * builds a new metric key (formatting its description) on every increment; a key per pair, built once,
 * is a map lookup. Effect's metric registry never drops a key, so the wire `type` is a tag only when it
 * is one we know: every other type counts as `unknown` (and no type as `none`), which bounds the series
 * to outcomes x (known types + 2), whatever a sender puts in `type`.
 */
const counter = (outcome: Outcome, eventType: string | undefined): Metric.Metric.Counter<number> => {
  const tag = eventType === undefined ? "none" : isEventType(eventType) ? eventType : "unknown"
  const key = `${outcome}\u0000${tag}`
  let metric = counters.get(key)
  if (metric === undefined) {
    metric = Metric.fromMetricKey(
      MetricKey.counter(DELIVERIES, { description: DELIVERIES_DESCRIPTION, incremental: true }).pipe(
        MetricKey.tagged(DELIVERIES_TAGS[0], outcome),
        MetricKey.tagged(DELIVERIES_TAGS[1], tag)
      )
    )
    counters.set(key, metric)
  }
  return metric
}

const utf8 = new TextDecoder()

const nativeTracer = Effect.runSync(Effect.tracer)

/**
 * The `openai.webhook` span around a delivery, when a tracer is installed. Measured on the receiver:
 * a span cost a third of a delivery, and Effect's built-in tracer keeps its spans to itself, so with
 * no tracer layer provided nothing could ever read them. The stack trace is off: the call site of
 * every span is this module.
 */
const traced = <A, E, R>(effect: Effect.Effect<A, E, R>, webhookId: string): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) =>
    tracer === nativeTracer ? effect : Effect.withSpan(effect, "openai.webhook", {
      kind: "server",
      captureStackTrace: false,
      attributes: { "openai.webhook.id": webhookId }
    })
  )

/** The event type for logs and metrics: the wire `type` for unknown events. */
const eventTypeOf = (event: UnwrapWebhookEvent): string =>
  event._tag === "unknown" ? shortened(event.type, MAX_LOGGED_TYPE) : event._tag

/** OpenAI's types are a few dozen characters; a longer wire `type` is shortened in logs, spans and the store. */
const MAX_LOGGED_TYPE = 200

/**
 * At most this much of an undecodable body goes into its `invalid` line: every payload OpenAI sends fits
 * whole, and a hostile one (a megabyte of nesting) does not flood the log.
 */
const MAX_LOGGED_BODY = 64 * 1024

const shortened = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max)}... (${text.length - max} more characters)`

const loggedBody = (bytes: Uint8Array): string =>
  bytes.byteLength <= MAX_LOGGED_BODY
    ? utf8.decode(bytes)
    : `${utf8.decode(bytes.subarray(0, MAX_LOGGED_BODY))}... (${bytes.byteLength - MAX_LOGGED_BODY} more bytes)`

/**
 * What a delivery has got to, for the line of one the edge timed out: `processDelivery` records the event
 * type there.
 */
interface EdgeState extends protocol.Progress {
  eventType: string | undefined
}

const edgeState = (): EdgeState => ({ eventType: undefined, phase: "handler", timedOutAfter: undefined })

/** Written to and never read: a delivery without a timeout needs no state of its own. */
const UNWATCHED: EdgeState = edgeState()

/**
 * Verifies, decodes and dispatches one POST body. Never fails: every outcome is a reply, logged once
 * (annotated with the webhook id and event type), traced as `openai.webhook` and counted.
 */
const processDelivery = <E, R>(
  settings: Settings<E, R>,
  body: Uint8Array,
  input: headers.HeadersInput,
  state: EdgeState
): Effect.Effect<Reply, never, R | WebhookSecret> => {
  const webhookId = idOf(input)
  const verifyAndHandle = Effect.flatMap(WebhookSecret, (secrets) =>
    Effect.clockWith((clock) => {
      const verified = signature.verifyRequest(
        secrets.keys,
        input,
        body,
        Math.floor(clock.unsafeCurrentTimeMillis() / 1000),
        settings.tolerance
      )
      if (Either.isLeft(verified)) {
        const error = verified.left
        return finish(
          rejected(error),
          undefined,
          Effect.annotateLogs(Effect.logWarning("rejected"), {
            webhook_id: webhookId,
            reason: error.reason,
            error: error.message
          })
        )
      }
      const delivery = verified.right
      const event = decode.decode(body)
      if (Either.isLeft(event)) {
        const error = event.left
        // Authentic but unreadable: keep the raw body in the log so nothing OpenAI sent is lost.
        return finish(
          invalid(error),
          error.eventType,
          Effect.annotateLogs(Effect.logError("invalid"), {
            webhook_id: webhookId,
            ...(error.eventType === undefined ? {} : { event_type: shortened(error.eventType, MAX_LOGGED_TYPE) }),
            reason: error.reason,
            error: error.message,
            body: loggedBody(body)
          })
        )
      }
      const eventType = eventTypeOf(event.right)
      // Suspended: in queued mode, or for a duplicate, the handler is not even called.
      const handled = Effect.suspend(() => settings.handle(event.right, delivery))
      state.eventType = eventType
      const run = Effect.matchCauseEffect(handled, {
        onSuccess: () => finish(PROCESSED, eventType, Effect.logInfo("processed")),
        onFailure: (cause) => finish(FAILED, eventType, Effect.logError("failed", cause))
      })
      // The handler's own log lines and the outcome line carry the delivery's annotations. Every mounting
      // style runs a delivery in a fiber of its own (the platform's request fiber, or ours), so they are
      // set on it rather than in a scope: measured, Effect.annotateLogs (acquire, use, restore) cost a
      // tenth of the receiver's throughput.
      return Effect.zipRight(
        FiberRef.update(FiberRef.currentLogAnnotations, (annotations) =>
          HashMap.set(HashMap.set(annotations, "webhook_id", webhookId), "event_type", eventType)),
        // The inbox was found when the route started: no lookup per delivery.
        settings.inbox === undefined
          ? run
          : Effect.flatMap(
            protocol.process(
              settings.inbox,
              delivery,
              eventType,
              body,
              handled,
              settings.timeout ?? protocol.DEFAULT_WAIT,
              state
            ),
            (outcome) => answer(outcome, eventType)
          )
      )
    }))
  return traced(verifyAndHandle, webhookId)
}

/** Why a delivery was answered 500 after `after`, by where it had got to. */
const unfinished = (phase: protocol.Progress["phase"], after: Duration.Duration): string => {
  const within = Duration.format(after)
  switch (phase) {
    case "handler":
      return `the handler did not finish within ${within}: it was interrupted and answered 500, so OpenAI will retry`
    case "held":
      return `the delivery is held by another instance's claim (or another copy in this one) that did not end within ` +
        `${within}: answered 500, so OpenAI will retry it once the claim is done or its lease has expired`
    case "store":
      return `the inbox's database did not answer within ${within}: answered 500, so OpenAI will retry`
  }
}

const finish = (reply: Reply, eventType: string | undefined, log: Effect.Effect<void>): Effect.Effect<Reply> =>
  Effect.zipRight(
    // Without a span (no tracer installed), annotateCurrentSpan would build and throw away an exception.
    Effect.tracerWith((tracer) =>
      tracer === nativeTracer ? Effect.void : Effect.annotateCurrentSpan({
        "openai.webhook.outcome": reply.outcome,
        "openai.webhook.event_type": eventType ?? ""
      })
    ),
    Effect.as(Effect.zipRight(log, Metric.increment(counter(reply.outcome, eventType))), reply)
  )

/** The reply and the line of what the inbox made of a delivery. */
const answer = (outcome: protocol.Outcome, eventType: string): Effect.Effect<Reply> => {
  switch (outcome._tag) {
    case "Processed":
      return finish(PROCESSED, eventType, Effect.logInfo("processed"))
    case "Duplicate":
      return finish(DUPLICATE, eventType, Effect.logInfo("duplicate"))
    case "Queued":
      return finish(QUEUED, eventType, Effect.logInfo("queued"))
    case "Failed":
      return finish(FAILED, eventType, Effect.logError("failed", outcome.cause))
    case "Held":
      return finish(
        FAILED,
        eventType,
        Effect.logError("failed").pipe(Effect.annotateLogs("error", unfinished("held", outcome.waited)))
      )
    case "StoreFailed":
      return finish(
        FAILED,
        eventType,
        Effect.logError("failed", outcome.cause).pipe(
          Effect.annotateLogs("error", "the inbox's database failed: OpenAI will retry")
        )
      )
  }
}

/** The `webhook-id` for logs and spans: `none` when absent. */
const idOf = (input: headers.HeadersInput): string => headers.get(input, "webhook-id") ?? "none"

/** A reply that never reached `processDelivery` (405, 413): logged and counted the same way. */
const early = (reply: Reply, input: headers.HeadersInput): Effect.Effect<Reply> => {
  const webhookId = idOf(input)
  const log = Effect.annotateLogs(Effect.logWarning(reply.outcome), "webhook_id", webhookId)
  return traced(finish(reply, undefined, log), webhookId)
}

/** The raw body cannot be had (a body parser or a middleware read it first): `why` says how to mount us. */
const unreadable = (input: headers.HeadersInput, why: string): Effect.Effect<Reply> => {
  const webhookId = idOf(input)
  const log = Effect.annotateLogs(Effect.logError("failed"), { webhook_id: webhookId, error: why })
  return traced(finish(FAILED, undefined, log), webhookId)
}

/** Our own code threw where it should not have: 500 (OpenAI retries) and the cause in a line. */
const crashed = (error: unknown): Effect.Effect<Reply> =>
  finish(
    FAILED,
    undefined,
    Effect.logError("failed", Cause.die(error)).pipe(
      Effect.annotateLogs({ webhook_id: "none", error: "the request could not be handled: OpenAI will retry" })
    )
  )

/**
 * The reply of a delivery's fiber. One that ended without a reply (a web handler's layer that failed to
 * build, a bug) is answered 500 and its cause logged, on Effect's default logger when the runtime that
 * would have logged it is the one that failed.
 */
const settle = <R>(runFork: RunFork<R>, exit: Exit.Exit<Reply, unknown>): Reply => {
  if (Exit.isSuccess(exit)) return exit.value
  if (!Exit.isInterrupted(exit)) {
    const log = Effect.logError("failed", exit.cause)
    runFork(log).addObserver((logged) => Exit.isFailure(logged) && Effect.runFork(log))
  }
  return FAILED
}

/** The line, span and count of a delivery the edge timed out. */
const timedOut = (input: headers.HeadersInput, state: EdgeState, after: Duration.Duration): Effect.Effect<Reply> => {
  const webhookId = idOf(input)
  return traced(
    finish(
      FAILED,
      state.eventType,
      Effect.logError("failed").pipe(
        Effect.annotateLogs({
          webhook_id: webhookId,
          ...(state.eventType === undefined ? {} : { event_type: state.eventType }),
          error: unfinished(state.phase, after)
        })
      )
    ),
    webhookId
  )
}

/**
 * Runs one delivery in a fiber of its own and answers through `send`, exactly once. With a timeout, the
 * one timer of {@link deadline.watch} answers 500 at once and interrupts the delivery.
 */
const runDelivery = <E, R>(
  runFork: RunFork<R>,
  settings: Settings<E, R>,
  body: Uint8Array,
  input: headers.HeadersInput,
  send: (reply: Reply) => void
): void => {
  const after = settings.timeout
  if (after === undefined) {
    runFork(processDelivery(settings, body, input, UNWATCHED)).addObserver((exit) => send(settle(runFork, exit)))
    return
  }
  const state = edgeState()
  const fiber = runFork(processDelivery(settings, body, input, state))
  deadline.watch(fiber, after, (exit) => send(settle(runFork, exit)), () => {
    state.timedOutAfter = after // before the interruption: the inbox records the attempt timed_out
    send(FAILED)
    runFork(timedOut(input, state, after))
  })
}

/** The same in an Effect (the platform's request fiber), with the same timer. */
const deliver = <E, R>(
  settings: Settings<E, R>,
  body: Uint8Array,
  input: headers.HeadersInput
): Effect.Effect<Reply, never, R | WebhookSecret> => {
  const after = settings.timeout
  if (after === undefined) return processDelivery(settings, body, input, UNWATCHED)
  const state = edgeState()
  return deadline.within(processDelivery(settings, body, input, state), after, () => {
    state.timedOutAfter = after // before the interruption: the inbox records the attempt timed_out
    return timedOut(input, state, after)
  })
}

/** Forks an effect on the runtime of a mounting style (its services, logger and tracer). */
export type RunFork<R> = <A, E>(effect: Effect.Effect<A, E, R | WebhookSecret>) => Fiber.RuntimeFiber<A, unknown>

/**
 * The edge of the callback-style mountings (the Node listener, the web handler): the method, the body,
 * then the delivery in a fiber of its own. `send` is called once, whatever happens; a throw here is
 * answered 500 with a line, never an exception in the server's code. A route that could not start and had no
 * start to fail (`toWebHandler`, whose layer is built at its first request) answers 500 with a line saying why.
 */
export const serve = <Request, E, R>(
  runFork: RunFork<R>,
  route: Either.Either<Settings<E, R>, IllegalArgumentException>,
  source: body.Source<Request>,
  request: Request,
  send: (reply: Reply) => void
): void => {
  const respond = (effect: Effect.Effect<Reply>) => runFork(effect).addObserver((exit) => send(settle(runFork, exit)))
  try {
    const input = source.headers(request)
    if (Either.isLeft(route)) return respond(unreadable(input, route.left.message))
    const settings = route.right
    if (source.method(request) !== "POST") return respond(early(methodNotAllowed, input))
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
): Effect.Effect<Reply, never, R | WebhookSecret> => {
  const input = request.headers
  if (request.method !== "POST") return early(methodNotAllowed, input)
  return Effect.flatMap(body.readPlatform(request, settings.maxBodySize), (read) =>
    read._tag === "Body"
      ? deliver(settings, read.bytes, input)
      : read._tag === "TooLarge"
      ? early(settings.tooLarge, input)
      : unreadable(input, read.why))
}

/**
 * `toHttpApp`'s edge. It has no start of its own: the platform gives each request its context, so the inbox is
 * looked up per request (as before 0.3, and only that: a route that says `inbox` needs it, one that does not
 * takes one if its context has one). The settings made for the last inbox seen are kept: a request costs one
 * lookup and one comparison. A route that cannot start answers each delivery 500 with a line saying why; one
 * without an inbox says once, at its first request, that deliveries are not deduplicated.
 */
export const serveApp = <E, R>(
  prepared: Prepared<E, R>
): (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<Reply, never, R | WebhookSecret | WebhookInbox> => {
  let seen: Store | undefined | null = null // null: no request yet
  let current: Either.Either<Settings<E, R>, IllegalArgumentException> = Either.right(prepared.settings)
  let warned = false
  const serveWith = (request: HttpServerRequest.HttpServerRequest, inbox: Store | undefined) => {
    if (inbox !== seen) {
      seen = inbox
      current = resolve(prepared, inbox)
    }
    if (Either.isLeft(current)) return unreadable(request.headers, current.left.message)
    const served = serveEffect(current.right, request)
    if (inbox !== undefined || warned) return served
    warned = true
    return Effect.zipRight(notDeduplicated, served)
  }
  return prepared.settings.uses === undefined
    ? (request) =>
      Effect.flatMap(Effect.serviceOption(WebhookInbox), (inbox) => serveWith(request, Option.getOrUndefined(inbox)))
    : (request) => Effect.flatMap(WebhookInbox, (inbox) => serveWith(request, inbox))
}

/**
 * Runs a route's delivery with the services captured when its layer was built (`layerRoute`). A request's
 * context usually holds them already (the application provided them to the server, as the README shows):
 * then nothing is merged, where `Effect.provide` would copy both contexts and set the fiber's twice per
 * request. Otherwise they are provided over the request's, as `Effect.provide` would.
 */
export const withCaptured = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  captured: Context.Context<never>
): Effect.Effect<A, E, Exclude<R, never>> =>
  Effect.withFiberRuntime((fiber) => {
    const current = fiber.currentContext.unsafeMap
    for (const [key, service] of captured.unsafeMap) {
      if (current.get(key) !== service) return Effect.provide(effect, captured)
    }
    return effect
  })
