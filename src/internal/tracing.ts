/**
 * Spans only where someone reads them: every `openai.webhook` span (the edge's, each worker attempt's) is made
 * when a tracer other than Effect's built-in one is installed (`@effect/opentelemetry`, say). Effect's built-in
 * tracer keeps its spans to itself, and a span cost a third of a delivery on the receiver (measured).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import { TraceContext } from "openai-webhooks-engine"

/** Effect's built-in tracer: installed when no tracer layer is provided. */
export const nativeTracer = Effect.runSync(Effect.tracer)

/** `effect` in a span named `name` when a tracer is installed; as it is otherwise. No stack trace: one call site. */
export const span = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  options: Omit<Tracer.SpanOptions, "captureStackTrace">
): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) =>
    tracer === nativeTracer ? effect : Effect.withSpan(effect, name, { ...options, captureStackTrace: false })
  )

/** The fiber's current span as a W3C `traceparent`, or null when it has none: what a queued delivery keeps. */
export const traceparentOf = (span: Tracer.AnySpan | undefined): string | null =>
  span === undefined ? null : TraceContext.formatTraceparent(span)

/** The span a kept `traceparent` names, as a link: none when there is none or it is not one. */
export const linksTo = (traceparent: string | undefined): ReadonlyArray<Tracer.SpanLink> => {
  const linked = TraceContext.parseTraceparent(traceparent)
  return linked === undefined ? [] : [{ _tag: "SpanLink", span: Tracer.externalSpan(linked), attributes: {} }]
}
