import { describe, expect, it } from "vitest"
import * as Endpoints from "../src/Endpoints.js"
import { errorFor } from "./support/openai-api.js"
import { apiKey, atTheLimits, type Call, refusals, refusedOptions, statuses } from "./tables/endpoints.js"

const settings = (() => {
  const resolved = Endpoints.resolve({ apiKey, baseUrl: "http://127.0.0.1:9/v1/" })
  if (!resolved.ok) throw new Error(resolved.error.message)
  return resolved.value
})()

const requestOf = (call: Call) => {
  switch (call._tag) {
    case "create":
      return Endpoints.create(call)
    case "update":
      return Endpoints.update(call.id, call)
    case "listPage":
    case "list":
      return Endpoints.listPage({ limit: call.limit })
    case "test":
      return Endpoints.test(call.id, call)
    case "eventTypes":
      return { ok: true as const, value: Endpoints.eventTypes }
    case "retrieve":
      return Endpoints.retrieve(call.id)
    case "del":
      return Endpoints.del(call.id)
    case "rotateSecret":
      return Endpoints.rotateSecret(call.id, call)
  }
}

const ok = <A, E>(result: { ok: true; value: A } | { ok: false; error: E }): A => {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`)
  return result.value
}

const retrieve = ok(Endpoints.retrieve("whe_1"))
const create = ok(Endpoints.create(atTheLimits))
const del = ok(Endpoints.del("whe_1"))

describe("Endpoints.resolve", () => {
  for (const row of refusedOptions) {
    it(`refuses ${row.option}: ${row.message}, never showing the key`, () => {
      const result = Endpoints.resolve(row.options)
      expect(result.ok).toBe(false)
      if (result.ok) return
      expect([result.error.option, result.error.reason]).toEqual([row.option, row.reason])
      expect(result.error.message).toContain(row.message)
      expect(result.error.message).not.toContain(apiKey)
      expect(result.error.message).not.toContain("hunter2")
    })
  }

  it("resolves the headers once, forgives one final line break on the key, and scrubs the key from texts", () => {
    const resolved = ok(Endpoints.resolve({ apiKey: `${apiKey}\n`, organization: "org_1", project: "proj_2" }))
    expect(resolved.baseUrl).toBe(Endpoints.defaultBaseUrl)
    expect(resolved.headers).toEqual({
      authorization: `Bearer ${apiKey}`,
      accept: "application/json",
      "openai-organization": "org_1",
      "openai-project": "proj_2"
    })
    expect([resolved.timeoutMillis, resolved.maxRetries]).toEqual([30_000, 2])
    expect(resolved.scrub(`key ${apiKey}, again ${apiKey}`)).toBe("key <redacted>, again <redacted>")
    expect(settings.baseUrl).toBe("http://127.0.0.1:9/v1")
  })
})

describe("Endpoints requests", () => {
  for (const row of refusals) {
    it(`refuses ${row.name} before sending`, () => {
      const result = requestOf(row.call)
      expect(result.ok).toBe(false)
      if (result.ok) return
      expect(result.error.reason).toBe("UnprocessableEntity")
      expect(result.error.param).toBe(row.param)
      expect(result.error.message).toMatch(row.message)
      expect(result.error.message).toMatch(/\(not sent\)$/)
      expect(result.error.message).not.toContain("token=abc")
    })
  }

  it("builds OpenAI's wire JSON, accepting input at the limits", () => {
    expect(create).toEqual({
      method: "POST",
      path: "/webhook_endpoints",
      body: { url: atTheLimits.url, name: atTheLimits.name, event_types: ["response.completed"] },
      idempotent: false
    })
    expect(ok(Endpoints.update("whe_1", { name: "n", eventTypes: ["batch.completed"] }))).toEqual({
      method: "POST",
      path: "/webhook_endpoints/whe_1",
      body: { name: "n", event_types: ["batch.completed"] },
      idempotent: true
    })
    expect(ok(Endpoints.listPage({ after: "whe_9", limit: 5 })).query).toEqual({ after: "whe_9", limit: "5" })
    expect(ok(Endpoints.listPage()).query).toEqual({})
    expect(ok(Endpoints.rotateSecret("whe_1", { keepOldSecretActiveFor24Hours: true })).body).toEqual({
      keep_old_secret_active_for_24_hours: true
    })
    expect(ok(Endpoints.rotateSecret("whe_1")).body).toEqual({})
    expect(ok(Endpoints.test("whe_1", { eventType: "response.completed" }))).toMatchObject({
      path: "/webhook_endpoints/whe_1/test",
      body: { event_type: "response.completed" },
      idempotent: false
    })
    expect(ok(Endpoints.retrieve("../webhook_event_types?x=1")).path).toBe(
      "/webhook_endpoints/..%2Fwebhook_event_types%3Fx%3D1"
    )
  })
})

describe("Endpoints answers", () => {
  for (const [status, reason] of statuses) {
    it(`reads ${status} as ${reason}, with OpenAI's error fields and the request id`, () => {
      const answer = {
        status,
        headers: { "x-request-id": "req_1", "retry-after": "2" },
        text: JSON.stringify({ error: errorFor(status) })
      }
      const failure = Endpoints.failureOf(settings, retrieve, answer, 0)
      expect(failure.reason).toBe(reason)
      expect(failure.status).toBe(status)
      expect(failure.requestId).toBe("req_1")
      expect(failure.type).toBe(errorFor(status).type)
      expect(failure.message).toBe(`GET /webhook_endpoints/whe_1: ${status}, ${Endpoints.reasonOf(status)[1]}: ${
        errorFor(status).message
      }`)
      expect(failure.retryAfterMillis).toBe(status === 429 || status === 503 ? 2000 : undefined)
    })
  }

  it("quotes OpenAI's message scrubbed of the key, on one bounded line, and reads a body that is not JSON as none", () => {
    const text = JSON.stringify({ error: { message: `Incorrect API key provided: ${apiKey}.\n${"x".repeat(900)}` } })
    const failure = Endpoints.failureOf(settings, retrieve, { status: 401, headers: {}, text }, 0)
    expect(failure.message).toContain("Incorrect API key provided: <redacted>. xxx")
    expect(failure.message).not.toContain(apiKey)
    expect(failure.message.endsWith("...")).toBe(true)
    expect(Endpoints.errorFields("<html>")).toEqual({})
    expect(Endpoints.errorFields(JSON.stringify({ error: { code: 42, param: "" } }))).toMatchObject({ code: "42" })
  })

  it("names the fields of an answer that departs from the documented shape, never their values", () => {
    const issues = [
      { path: ["id"], missing: false },
      { path: ["event_types"], missing: true },
      { path: ["data", 0, "id"], missing: false },
      { path: [], missing: false },
      { path: ["x"], missing: true }
    ]
    const failure = Endpoints.invalidAnswer(create, { status: 200, headers: {} }, issues)
    expect(failure.reason).toBe("InvalidResponse")
    expect(failure.message).toBe(
      "POST /webhook_endpoints: OpenAI's answer (200) is not what its API documents: id is not of the documented " +
        "type; event_types is missing; data.0.id is not of the documented type; and 2 more"
    )
    expect(Endpoints.invalidAnswer(create, { status: 200, headers: {} }, undefined).message).toContain("not JSON")
  })

  it("quotes the deepest cause of a transport failure, scrubbed, or the timeout", () => {
    const cause = new Error("fetch failed", { cause: new Error(`connect ECONNREFUSED ${apiKey}`) })
    expect(Endpoints.noAnswer(settings, retrieve, { cause }).message).toBe(
      "GET /webhook_endpoints/whe_1: no answer from http://127.0.0.1:9/v1: connect ECONNREFUSED <redacted>"
    )
    expect(Endpoints.noAnswer(settings, create, { within: "10s" }).message).toBe(
      "POST /webhook_endpoints: no answer from http://127.0.0.1:9/v1 within 10s"
    )
  })

  it("reads retry-after-ms, retry-after in seconds and as an HTTP date, and nothing else", () => {
    expect(Endpoints.retryAfter({ "retry-after-ms": "1500", "retry-after": "9" }, 0)).toBe(1500)
    expect(Endpoints.retryAfter({ "Retry-After": "2.5" }, 0)).toBe(2500)
    const noon = Date.parse("2026-11-29T12:00:00Z")
    expect(Endpoints.retryAfter(new Headers({ "retry-after": "Sun, 29 Nov 2026 12:00:05 GMT" }), noon)).toBe(5000)
    expect(Endpoints.retryAfter({ "retry-after": "Sun, 29 Nov 2026 12:00:05 GMT" }, noon + 60_000)).toBe(0)
    expect(Endpoints.retryAfter({ "retry-after": "soon" }, 0)).toBeUndefined()
    expect(Endpoints.retryAfter({}, 0)).toBeUndefined()
  })

  it("follows a page's cursor, stops on the last page, and refuses has_more without a new cursor", () => {
    const page = (hasMore: boolean, lastId: string | null, ids: ReadonlyArray<string> = []) => ({
      hasMore,
      lastId,
      data: ids.map((id) => ({ id }))
    })
    expect(Endpoints.nextCursor(page(true, "whe_2"), undefined)).toEqual({ ok: true, value: "whe_2" })
    expect(Endpoints.nextCursor(page(true, null, ["whe_3"]), undefined)).toEqual({ ok: true, value: "whe_3" })
    expect(Endpoints.nextCursor(page(false, "whe_2"), undefined)).toEqual({ ok: true, value: undefined })
    for (const stuck of [page(true, null), page(true, "whe_2")]) {
      const next = Endpoints.nextCursor(stuck, "whe_2")
      expect(next.ok).toBe(false)
      if (!next.ok) expect(next.error.message).toContain("no new cursor")
    }
  })
})

describe("Endpoints.decide", () => {
  const state = { retry: 0, unanswered: false, random: 0 }
  const failure = (reason: Endpoints.Reason, status?: number, retryAfterMillis?: number): Endpoints.AttemptFailure => ({
    reason,
    message: "M",
    ...(status === undefined ? {} : { status }),
    ...(retryAfterMillis === undefined ? {} : { retryAfterMillis })
  })

  it("retries 429 and 503 for every call, other 5xx and Transport for idempotent calls only", () => {
    const rows: ReadonlyArray<readonly [Endpoints.AttemptFailure, boolean, boolean]> = [
      [failure("RateLimited", 429), true, true],
      [failure("Server", 503), true, true],
      [failure("Server", 500), true, false],
      [failure("Transport"), true, false],
      [failure("NotFound", 404), false, false],
      [failure("InvalidResponse", 200), false, false]
    ]
    for (const [attempt, idempotent, nonIdempotent] of rows) {
      expect(Endpoints.decide(settings, retrieve, attempt, state)._tag).toBe(idempotent ? "Retry" : "Fail")
      expect(Endpoints.decide(settings, create, attempt, state)._tag).toBe(nonIdempotent ? "Retry" : "Fail")
    }
  })

  it("says a non-idempotent call that got no answer or a 500 may have reached OpenAI", () => {
    for (const attempt of [failure("Transport"), failure("Server", 500)]) {
      const decision = Endpoints.decide(settings, create, attempt, state)
      expect(decision).toEqual({ _tag: "Fail", failure: { ...attempt, message: `M. ${Endpoints.notRetried}` } })
    }
    const notFound = Endpoints.decide(settings, create, failure("NotFound", 404), state)
    expect(notFound._tag === "Fail" && notFound.failure.message).toBe("M")
  })

  it("waits OpenAI's retry-after, up to a minute; a longer one is the error's news", () => {
    const waited = Endpoints.decide(settings, retrieve, failure("RateLimited", 429, 2000), state)
    expect(waited).toEqual({
      _tag: "Retry",
      waitMillis: 2000,
      log: "OpenAI API: retrying GET /webhook_endpoints/whe_1 in 2000 ms (retry 1 of 2) after 429 RateLimited"
    })
    const long = Endpoints.decide(settings, retrieve, failure("RateLimited", 429, 120_000), state)
    expect(long._tag === "Fail" && long.failure.message).toBe("M; OpenAI asked to wait 120 s before trying again")
    expect(long._tag === "Fail" && "retryAfterMillis" in long.failure).toBe(false)
  })

  it("backs off from 500 ms, doubling up to 8 s, less at most 25% jitter", () => {
    for (let retry = 0; retry < 12; retry++) {
      for (const random of [0, 0.5, 0.999999]) {
        const full = Math.min(8000, 500 * 2 ** retry)
        const wait = Endpoints.backoff(retry, random)
        expect(wait).toBeLessThanOrEqual(full)
        expect(wait).toBeGreaterThanOrEqual(full * 0.75)
      }
    }
    const decision = Endpoints.decide(settings, retrieve, failure("Transport"), { ...state, retry: 1, random: 0.5 })
    expect(decision._tag === "Retry" && decision.waitMillis).toBe(875)
  })

  it("gives up after maxRetries saying how many attempts it made, and that a delete may have been done before", () => {
    const last = { retry: 2, unanswered: true, random: 0 }
    const given = Endpoints.decide(settings, retrieve, failure("Server", 503, 1000), last)
    expect(given._tag === "Fail" && given.failure.message).toBe("M (after 3 attempts)")
    const gone = Endpoints.decide(settings, del, failure("NotFound", 404), { ...last, retry: 1 })
    expect(gone._tag === "Fail" && gone.failure.message).toBe(
      "M (after 2 attempts); an earlier attempt got no answer and may have deleted it"
    )
  })
})
