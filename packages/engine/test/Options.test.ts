import { describe, expect, it } from "vitest"
import { Options } from "../src/index.js"

// The messages both editions' tests read word for word (test/WebhookHttp.test.ts, WebhookInbox.test.ts,
// WebhookEndpoints.test.ts and their Effect 4 counterparts).
describe("Options", () => {
  it("words a message as <Module>: <option>: <text>", () => {
    expect(Options.message("WebhookHttp", "maxBodySize", Options.expectedWhole("bytes", 1, 0))).toBe(
      "WebhookHttp: maxBodySize: Expected a whole number of bytes, at least 1; got 0"
    )
    expect(Options.message("WebhookHttp", "timeout", Options.expectedDuration("5 minuets"))).toBe(
      "WebhookHttp: timeout: Expected a duration such as \"10 seconds\" or \"1500 millis\"; got \"5 minuets\""
    )
    expect(Options.message("WebhookInbox", "lease", Options.expectedPositiveDuration("0 millis"))).toBe(
      "WebhookInbox: lease: Expected a duration longer than zero; got \"0 millis\""
    )
    expect(Options.expectedPositiveDuration(0)).toBe("Expected a duration longer than zero; got 0")
  })

  it("takes a whole number of at least its minimum, and nothing else", () => {
    expect([1, 2, 1024 * 1024].map((n) => Options.isWhole(n, 1))).toEqual([true, true, true])
    expect([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53].map((n) => Options.isWhole(n, 1))).toEqual(
      [false, false, false, false, false, false]
    )
  })

  it("knows a route's inbox modes, and says what a wrong one, a missing handler or a mismatched inbox is", () => {
    expect(Options.modes).toEqual(["inline", "queued"])
    expect(Options.modes.every(Options.isMode)).toBe(true)
    expect([undefined, "Inline", "durable", 1].some(Options.isMode)).toBe(false)
    expect(Options.expectedMode("durable")).toBe("Expected \"inline\" or \"queued\"; got durable")
    expect(Options.expectedHandler(undefined)).toBe(
      "Expected a function, (event, delivery) => Effect; got undefined (a route without one says inbox: \"queued\")"
    )
    expect(Options.noInbox("inline")).toBe(
      "the route says inbox: \"inline\", and no WebhookInbox is provided: provide WebhookInbox.layerSql"
    )
    expect(Options.inboxOfOtherMode("queued", "inline")).toBe(
      "the route says inbox: \"queued\", and the WebhookInbox it is given is inline: build it with " +
        "WebhookInbox.layerSql({ mode: \"queued\" }) (or WEBHOOK_MODE=queued for WebhookInbox.layerConfig)"
    )
    expect(Options.notDeduplicated.message).toBe("deliveries are not deduplicated")
    expect(Options.notDeduplicated.error).toContain("WebhookInbox.layerSql")
  })
})
