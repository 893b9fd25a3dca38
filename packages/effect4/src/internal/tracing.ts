/**
 * Spans only where someone reads them: every `openai.webhook` span (the edge's, each worker attempt's) is made
 * when a tracer other than Effect's built-in one is installed (`effect/observability`'s OTLP, say). Effect's
 * built-in tracer keeps its spans to itself, and a span cost a third of a delivery on the receiver (measured).
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import { TraceContext } from "openai-webhooks-engine"

/** Effect's built-in tracer: the `Tracer` reference's default, used when no tracer layer is provided. */
export const nativeTracer: Tracer.Tracer = Tracer.Tracer.defaultValue()

/** `effect` in a span named `name` when a tracer is installed; as it is otherwise. No stack trace: one call site. */
export const span = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  options: Omit<Tracer.SpanOptions, "captureStackTrace">
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) =>
    Context.get(fiber.context, Tracer.Tracer) === nativeTracer
      ? effect
      : Effect.withSpan(effect, name, { ...options, captureStackTrace: false })
  )

/** The fiber's current span as a W3C `traceparent`, or null when it has none: what a queued delivery keeps. */
export const traceparentOf = (context: Context.Context<never>): string | null => {
  const span = Context.getOrUndefined(context, Tracer.ParentSpan)
  return span === undefined ? null : TraceContext.formatTraceparent(span)
}

/** The span a kept `traceparent` names, as a link: none when there is none or it is not one. */
export const linksTo = (traceparent: string | undefined): ReadonlyArray<Tracer.SpanLink> => {
  const linked = TraceContext.parseTraceparent(traceparent)
  return linked === undefined ? [] : [{ span: Tracer.externalSpan(linked), attributes: {} }]
}
