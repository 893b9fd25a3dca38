/**
 * W3C Trace Context's `traceparent`, written and read as a queued delivery keeps it.
 */
import { TraceContext } from "openai-webhooks-engine"
import { describe, expect, it } from "vitest"

describe("traceparent", () => {
  it("formats a span as a traceparent and reads it back; ignores what W3C Trace Context says to ignore", () => {
    const span = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true }
    expect(TraceContext.formatTraceparent(span)).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    expect(TraceContext.parseTraceparent(TraceContext.formatTraceparent(span))).toEqual(span)
    const unsampled = TraceContext.formatTraceparent({ ...span, sampled: false })
    expect(unsampled.endsWith("-00")).toBe(true)
    expect(TraceContext.parseTraceparent(unsampled)?.sampled).toBe(false)
    // A later version may add fields after the four it shares with 00.
    expect(TraceContext.parseTraceparent(`01-${span.traceId}-${span.spanId}-01-more`)).toEqual(span)
    for (
      const ignored of [
        null,
        undefined,
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        `ff-${span.traceId}-${span.spanId}-01`,
        `00-${"0".repeat(32)}-${span.spanId}-01`,
        `00-${span.traceId}-${"0".repeat(16)}-01`,
        `00-${span.traceId.toUpperCase()}-${span.spanId}-01`,
        `00-${span.traceId}-${span.spanId}-01-extra`
      ]
    ) expect(TraceContext.parseTraceparent(ignored), String(ignored)).toBeUndefined()
  })
})
