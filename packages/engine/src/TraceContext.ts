/**
 * W3C Trace Context's `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header), written and read:
 * what a queued delivery keeps of the request that queued it, so that its attempts' spans link to that request's,
 * in any process and after any restart.
 *
 * @since 0.4.0
 */

/**
 * A span's identity as W3C Trace Context carries it.
 *
 * @since 0.4.0
 * @category models
 */
export interface SpanContext {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string
  readonly sampled: boolean
}

/** W3C Trace Context 3.2: version `00`, trace-id, parent-id, trace-flags. Later versions keep these four first. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/**
 * The `traceparent` of a span, version `00`: `00-<traceId>-<spanId>-<01 when sampled, else 00>`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const formatTraceparent = (span: SpanContext): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The span a `traceparent` names, or undefined for one that W3C Trace Context says to ignore: malformed, version
 * `ff`, an all-zero id, or version `00` with more than its four fields.
 *
 * @since 0.4.0
 * @category parsing
 */
export const parseTraceparent = (value: string | null | undefined): SpanContext | undefined => {
  const match = value == null ? null : TRACEPARENT.exec(value.trim())
  if (match === null) return undefined
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string]
    & { readonly 5?: string }
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 }
}
