import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "vitest"
import { Reply } from "../src/index.js"
import { type ReplyRow, replies } from "./tables/replies.js"

/** The engine's reply of a row of the table. */
const replyOf = (row: ReplyRow): Reply.Reply => {
  switch (row.outcome) {
    case "processed":
      return Reply.processed
    case "duplicate":
      return Reply.duplicate
    case "queued":
      return Reply.queued
    case "method_not_allowed":
      return Reply.methodNotAllowed
    case "failed":
      return Reply.failed
    case "too_large":
      return Reply.tooLarge(row.limit!)
    case "rejected":
      return Reply.rejected(row.reason!)
    case "invalid":
      return Reply.invalid(row.reason!)
  }
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength

describe("the reply table", () => {
  for (const row of replies) {
    it(`answers ${row.situation} with ${row.status} ${row.outcome}`, () => {
      const reply = replyOf(row)
      expect(reply.outcome).toBe(row.outcome)
      expect(reply.status).toBe(row.status)
      expect(JSON.parse(reply.body)).toEqual(row.body)
      expect(reply.headers).toEqual({
        "content-type": "application/json",
        "content-length": String(byteLength(reply.body)),
        ...row.headers
      })
      expect(Reply.levels[row.outcome]).toBe(row.level)
    })
  }

  it("has a row for every outcome, and every outcome a level", () => {
    expect(new Set(replies.map((row) => row.outcome))).toEqual(new Set(Reply.outcomes))
    expect(Object.keys(Reply.levels).sort()).toEqual([...Reply.outcomes].sort())
  })

  it("builds each reply once: the same object for the same reason, whatever asks", () => {
    expect(Reply.rejected("NoMatchingSignature")).toBe(Reply.rejected("NoMatchingSignature"))
    expect(Reply.invalid("InvalidJson")).toBe(Reply.invalid("InvalidJson"))
    expect(Reply.rejected("InvalidJson")).not.toBe(Reply.invalid("InvalidJson"))
  })

  it("never says more than a reason in a 401 or 400: no message, no header", () => {
    for (const row of replies.filter((row) => row.status === 401 || row.status === 400)) {
      expect(Object.keys((JSON.parse(replyOf(row).body) as { error: object }).error).sort()).toEqual(["reason", "type"])
    }
  })
})

describe("Reply.jsonAnswer", () => {
  it("counts content-length in bytes, and adds the headers given", () => {
    const answer = Reply.jsonAnswer(418, { tea: "\u00e9\u6f22\ud83d\ude00" }, { "x-kind": "teapot" })
    expect(answer.status).toBe(418)
    expect(answer.body).toBe("{\"tea\":\"\u00e9\u6f22\ud83d\ude00\"}")
    expect(answer.headers).toEqual({ "content-type": "application/json", "content-length": "19", "x-kind": "teapot" })
  })
})

describe("Reply.toNode", () => {
  it("writes status, headers and body to a node:http response, once", async () => {
    const server = http.createServer((_request, response) => {
      Reply.toNode(response, Reply.methodNotAllowed)
      // A second answer to the same response is left alone, not an exception in the server.
      Reply.toNode(response, Reply.failed)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const { port } = server.address() as AddressInfo
      const response = await fetch(`http://127.0.0.1:${port}/`)
      expect(response.status).toBe(405)
      expect(response.headers.get("allow")).toBe("POST")
      expect(response.headers.get("content-type")).toBe("application/json")
      expect(response.headers.get("content-length")).toBe(Reply.methodNotAllowed.headers["content-length"])
      expect(await response.text()).toBe(Reply.methodNotAllowed.body)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})

describe("Reply.toWeb", () => {
  it("gives a Response with the reply's status, headers and body", async () => {
    const response = Reply.toWeb(Reply.tooLarge(1024))
    expect(response.status).toBe(413)
    expect(response.headers.get("content-type")).toBe("application/json")
    expect(await response.json()).toEqual({
      error: { type: "PayloadTooLarge", message: "The body is larger than 1024 bytes" }
    })
  })
})

describe("a delivery's log line", () => {
  it("names its fields, its span and its metric", () => {
    expect(Reply.fields).toEqual({
      webhookId: "webhook_id",
      eventType: "event_type",
      reason: "reason",
      error: "error",
      body: "body",
      attempt: "attempt",
      retryIn: "retry_in"
    })
    expect(Reply.span).toEqual({
      name: "openai.webhook",
      id: "openai.webhook.id",
      outcome: "openai.webhook.outcome",
      eventType: "openai.webhook.event_type",
      attempt: "openai.webhook.attempt"
    })
    expect(Reply.metric.name).toBe("openai_webhook_deliveries_total")
    expect(Reply.metric.tags).toEqual(["outcome", "event_type"])
    expect(Reply.noId).toBe("none")
  })

  it("tags a count with a known type, unknown for any other, none without one", () => {
    const known = (type: string) => type === "response.completed"
    expect(Reply.metricEventType("response.completed", known)).toBe("response.completed")
    expect(Reply.metricEventType("brand.new", known)).toBe("unknown")
    expect(Reply.metricEventType(undefined, known)).toBe("none")
  })

  it("shortens a long type and a long body, and keeps short ones whole", () => {
    expect(Reply.loggedType("response.completed")).toBe("response.completed")
    const type = "x".repeat(Reply.maxLoggedType + 50)
    expect(Reply.loggedType(type)).toBe(`${"x".repeat(Reply.maxLoggedType)}... (50 more characters)`)
    const whole = new TextEncoder().encode("a".repeat(Reply.maxLoggedBody))
    expect(Reply.loggedBody(whole)).toBe("a".repeat(Reply.maxLoggedBody))
    const long = new TextEncoder().encode("b".repeat(Reply.maxLoggedBody + 7))
    expect(Reply.loggedBody(long)).toBe(`${"b".repeat(Reply.maxLoggedBody)}... (7 more bytes)`)
    expect(Reply.loggedBody(new Uint8Array([0x7b, 0xff, 0x7d]))).toBe("{\ufffd}")
  })

  it("says where a delivery answered 500 after its time had got to, and that OpenAI will retry", () => {
    expect(Reply.unfinished("handler", "50ms")).toBe(
      "the handler did not finish within 50ms: it was interrupted and answered 500, so OpenAI will retry"
    )
    const held = Reply.unfinished("held", "200ms")
    expect(held).toContain("held by another instance's claim (or another copy in this one)")
    expect(held).toContain("did not end within 200ms")
    expect(held).not.toContain("handler")
    expect(Reply.unfinished("store", "10s")).toBe(
      "the inbox's database did not answer within 10s: answered 500, so OpenAI will retry"
    )
    for (const phase of ["handler", "held", "store"] as const) {
      expect(Reply.unfinished(phase, "1s")).toContain("OpenAI will retry")
    }
  })
})
