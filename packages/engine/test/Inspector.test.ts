/**
 * The inspector without a server or an inbox: the API's routing (what it answers itself, what it asks the edition's
 * inbox for), the page's filters, the token rule, the page's files, the answer counts. Both editions' live tests
 * (`test/WebhookInspector.test.ts` of each) serve what is decided here.
 */
import { describe, expect, it } from "vitest"
import { Inspector } from "../src/index.js"

const TOKEN = "a-token-of-the-app-0123456789"

const request = (method: string, url: string, headers: Record<string, string> = {}): Inspector.Request => ({
  method,
  url,
  header: (name) => headers[name]
})

/** What the door makes of a request: the answer's status and error, or the call. */
const route = async (door: Inspector.Door, method: string, url: string, headers: Record<string, string> = {}) => {
  const routed = await door(request(method, url, headers))
  if (routed._tag === "Call") return routed.call
  type Body = { error?: { type: string; reason?: string; message: string } } | null
  const body = JSON.parse(routed.answer.body || "null") as Body
  return { status: routed.answer.status, error: body?.error, headers: routed.answer.headers }
}

const open = Inspector.make({ path: "/inbox" })

describe("Inspector: the API's routes", () => {
  const rows: ReadonlyArray<readonly [method: string, url: string, mayChange: boolean, expected: unknown]> = [
    ["GET", "/inbox/api/stats", false, { _tag: "Stats" }],
    ["HEAD", "/inbox/api/stats", false, { _tag: "Stats" }],
    ["POST", "/inbox/api/stats", true, { status: 405 }],
    ["GET", "/inbox/api/stats/x", false, { status: 404 }],
    ["GET", "/inbox/api/answers", false, { _tag: "Answers" }],
    ["GET", "/inbox/api/nothing", false, { status: 404 }],
    ["GET", "/inbox/api/deliveries/a/replay/more", false, { status: 404 }],
    ["GET", "/inbox/api/delivery?id=.", false, { _tag: "Get", id: "." }],
    ["GET", "/inbox/api/delivery?id=..", false, { _tag: "Get", id: ".." }],
    ["GET", "/inbox/api/delivery?id=a%3Fb%23c%26d%3De", false, { _tag: "Get", id: "a?b#c&d=e" }],
    ["GET", "/inbox/api/delivery", false, { status: 400, reason: "InvalidQuery" }],
    ["POST", "/inbox/api/delivery?id=", true, { status: 400, reason: "InvalidQuery" }],
    ["POST", "/inbox/api/delivery/replay?id=x", false, { status: 403 }],
    ["POST", "/inbox/api/delivery/replay?id=x", true, { _tag: "Replay", id: "x" }],
    ["GET", "/inbox/api/delivery/replay?id=x", true, { status: 405, allow: "POST" }],
    ["POST", "/inbox/api/delivery/discard?id=..", true, { _tag: "Discard", id: ".." }],
    ["POST", "/inbox/api/delivery/forget?id=x", true, { status: 404 }],
    ["DELETE", "/inbox/api/delivery?id=x", true, { _tag: "Discard", id: "x" }],
    ["DELETE", "/inbox/api/delivery?id=x", false, { status: 403 }],
    ["PUT", "/inbox/api/delivery?id=x", true, { status: 405, allow: "GET, HEAD, DELETE" }],
    // The path routes of the earlier API, ids percent-decoded.
    ["GET", "/inbox/api/deliveries/msg_%C3%A9", false, { _tag: "Get", id: "msg_\u00e9" }],
    ["POST", "/inbox/api/deliveries/msg_1/replay", true, { _tag: "Replay", id: "msg_1" }],
    ["GET", "/inbox/api/deliveries/%E0%A4%A", false, { status: 404 }],
    ["POST", "/inbox/api/deliveries", true, { status: 405, allow: "GET, HEAD" }],
    ["POST", "/inbox/api/recover?since=2026-11-26T00:00:00Z", false, { status: 403 }],
    ["PATCH", "/inbox/api/recover?since=2026-11-26T00:00:00Z", true, { status: 405, allow: "GET, HEAD, POST" }],
    ["GET", "/inbox/api/recover", false, { status: 400, reason: "InvalidQuery" }],
    ["GET", "/inbox/api/recover?since=2026-11-26T00:00:00Z&status=done", false, {
      status: 400,
      reason: "InvalidQuery"
    }],
    ["GET", "/inbox/api/timeline?since=yesterday", false, { status: 400, reason: "InvalidQuery" }],
    ["GET", "/inbox/api/deliveries?limit=ten", false, { status: 400, reason: "InvalidQuery" }],
    ["GET", "/inbox/api/deliveries?status=lost", false, { status: 400, reason: "InvalidQuery" }],
    ["GET", "/inbox/app.js", false, { status: 500, type: "NotInstalled" }],
    ["GET", "/inboxes", false, { status: 404 }],
    ["GET", "/other/api/stats", false, { status: 404 }]
  ]
  for (const [method, url, mayChange, expected] of rows) {
    it(`${method} ${url}${mayChange ? " (x-inspector)" : ""}`, async () => {
      const got = await route(open, method, url, mayChange ? { "x-inspector": "1" } : {})
      if ("_tag" in (expected as object)) return expect(got).toEqual(expected)
      const { allow, reason, status, type } = expected as Record<string, unknown>
      type Got = { status: number; error?: { type: string; reason?: string }; headers: Record<string, string> }
      const answer = got as Got
      expect(answer.status).toBe(status)
      if (reason !== undefined) expect(answer.error?.reason).toBe(reason)
      if (type !== undefined) expect(answer.error?.type).toBe(type)
      if (allow !== undefined) expect(answer.headers["allow"]).toBe(allow)
      expect(answer.headers["cache-control"]).toBe("no-store")
    })
  }

  it("reads the page's filters: statuses split at commas or repeated, ISO 8601 times, a limit, a cursor", async () => {
    const list = await route(
      open,
      "GET",
      "/inbox/api/deliveries?status=failed,dead&status=pending&type=batch.&since=2026-11-26T19:51:34Z&limit=20&after=c"
    )
    expect(list).toEqual({
      _tag: "List",
      query: {
        status: ["failed", "dead", "pending"],
        eventType: "batch.",
        since: new Date("2026-11-26T19:51:34Z"),
        until: undefined,
        limit: 20,
        after: "c"
      }
    })
    const wrong = await route(open, "GET", "/inbox/api/deliveries?since=2026-13-45")
    expect(wrong).toMatchObject({
      status: 400,
      error: { message: "since is a time in ISO 8601, such as 2026-11-26T19:51:34Z, not \"2026-13-45\"" }
    })
    const recover = await route(open, "POST", "/inbox/api/recover?since=2026-11-26T00:00:00Z&status=dead", {
      "x-inspector": "1"
    })
    expect(recover).toEqual({
      _tag: "Recover",
      query: { since: new Date("2026-11-26T00:00:00Z"), until: undefined, status: ["dead"] }
    })
    const timeline = await route(open, "GET", "/inbox/api/timeline")
    expect(timeline).toMatchObject({ _tag: "Timeline" })
    const since = (timeline as { since: Date }).since.getTime()
    expect(Math.abs(Date.now() - 60 * 60_000 - since)).toBeLessThan(5_000)
  })

  it("words the calls' answers and lines", () => {
    const ids = Array.from({ length: 150 }, (_, i) => `m${i}`)
    const counted = JSON.parse(Inspector.answers.recoverable(ids).body) as { count: number; ids: Array<string> }
    expect(counted).toEqual({ count: 150, ids: ids.slice(0, 100) })
    expect(Inspector.idAnnotations(["a"])).toEqual({ webhook_id: "a" })
    expect(Inspector.idAnnotations(Array.from({ length: 101 }, (_, i) => `${i}`)).webhook_ids).toMatch(/,99,\.\.\.$/)
    const query = { since: new Date("2026-11-26T00:00:00Z") }
    expect(Inspector.recoverAnnotations(query, ["a", "b"], 2)).toEqual({
      recovered: 2,
      since: "2026-11-26T00:00:00.000Z",
      status: "failed,dead",
      webhook_ids: "a,b"
    })
    expect(Inspector.recoverablePages(query, 1_000)).toEqual({
      since: query.since,
      until: new Date(1_000),
      status: ["failed", "dead"],
      limit: 500
    })
    const notFound = Inspector.notFound("x")
    expect([notFound.status, JSON.parse(notFound.body)]).toEqual([404, {
      error: { type: "InboxError", reason: "NotFound", message: "No delivery x", webhookId: "x" }
    }])
    expect(Inspector.inboxError({ reason: "NotDead", message: "m" }).status).toBe(409)
  })
})

describe("Inspector: the token rule", () => {
  const guarded = Inspector.make({ path: "/ops/inbox", token: TOKEN })

  it("refuses anything without the token, with the same bytes on every path", async () => {
    for (const url of ["/ops/inbox", "/ops/inbox/app.js", "/ops/inbox/api/stats", "/ops/inbox/api/delivery?id=."]) {
      const routed = await guarded(request("GET", url))
      expect(routed).toEqual({ _tag: "Answer", answer: Inspector.unauthorized })
    }
    expect(Inspector.unauthorized.body).toBe(`{"error":{"type":"Unauthorized"}}`)
    expect(Inspector.unauthorized.headers["www-authenticate"]).toBe("Bearer")
  })

  it("takes the bearer token (any case of the scheme) or the cookie, never a wrong or truncated one", async () => {
    const status = async (headers: Record<string, string>) => {
      const routed = await guarded(request("GET", "/ops/inbox/api/stats", headers))
      return routed._tag === "Call" ? routed.call._tag : routed.answer.status
    }
    expect(await status({ authorization: `Bearer ${TOKEN}` })).toBe("Stats")
    expect(await status({ authorization: `bearer  ${TOKEN}` })).toBe("Stats")
    expect(await status({ authorization: `Bearer ${TOKEN.slice(1)}` })).toBe(401)
    expect(await status({ authorization: `Bearer ${TOKEN}x` })).toBe(401)
    expect(await status({ authorization: `Basic ${TOKEN}` })).toBe(401)
    expect(await status({ cookie: `a=1; inspector_token=${encodeURIComponent(TOKEN)}` })).toBe("Stats")
    expect(await status({ cookie: `inspector_token=${TOKEN.toUpperCase()}` })).toBe(401)
  })

  it("may change only with the bearer token or x-inspector (a cross-site form has the cookie alone)", async () => {
    const replay = async (headers: Record<string, string>) => {
      const routed = await guarded(request("POST", "/ops/inbox/api/delivery/replay?id=x", headers))
      return routed._tag === "Call" ? routed.call._tag : routed.answer.status
    }
    const cookie = `inspector_token=${encodeURIComponent(TOKEN)}`
    expect(await replay({ cookie })).toBe(403)
    expect(await replay({ cookie, "x-inspector": "1" })).toBe("Replay")
    expect(await replay({ authorization: `Bearer ${TOKEN}` })).toBe("Replay")
  })

  it("trades the token in the address for the cookie, at the page only", async () => {
    const signIn = await guarded(request("GET", `/ops/inbox?token=${encodeURIComponent(TOKEN)}`))
    expect(signIn._tag).toBe("Answer")
    if (signIn._tag !== "Answer") return
    expect(signIn.answer.status).toBe(303)
    expect(signIn.answer.headers["location"]).toBe("/ops/inbox")
    expect(signIn.answer.headers["set-cookie"]).toBe(
      `inspector_token=${encodeURIComponent(TOKEN)}; Path=/ops/inbox; HttpOnly; SameSite=Strict`
    )
    expect(await guarded(request("GET", "/ops/inbox/?token=wrong"))).toEqual({
      _tag: "Answer",
      answer: Inspector.unauthorized
    })
    // Below the page, the query's token is nobody's credential.
    expect(await guarded(request("GET", `/ops/inbox/api/stats?token=${TOKEN}`))).toEqual({
      _tag: "Answer",
      answer: Inspector.unauthorized
    })
  })

  it("reads a cookie among others, and not one that is not percent-encoded as it sets it", () => {
    expect(Inspector.cookieValue("a=1; inspector_token=x%3By; b=2", "inspector_token")).toBe("x;y")
    expect(Inspector.cookieValue("xinspector_token=1", "inspector_token")).toBeUndefined()
    expect(Inspector.cookieValue("inspector_token=%E0%A4%A", "inspector_token")).toBeUndefined()
    expect(Inspector.cookieValue(undefined, "inspector_token")).toBeUndefined()
  })
})

describe("Inspector: paths", () => {
  it("mounts at an absolute path without a trailing slash, query or pattern", () => {
    for (const path of ["/inbox", "/ops/inbox", "/a.b/c-d_e~"]) expect(Inspector.pathProblem(path)).toBeUndefined()
    for (const path of ["/inbox/", "inbox", "/inbox?x=1", "/inbox/*", "/:id", "", "/"]) {
      expect(Inspector.pathProblem(path)).toContain(JSON.stringify(path))
    }
  })

  it("owns its path and what is below it, not what only begins the same", () => {
    expect(["/inbox", "/inbox/", "/inbox/api/stats"].map((path) => Inspector.owns(path))).toEqual([true, true, true])
    expect(["/inboxes", "/", "/in"].map((path) => Inspector.owns(path))).toEqual([false, false, false])
    expect(Inspector.owns("/ops/inbox/app.js", "/ops/inbox")).toBe(true)
  })

  it("takes the path and query of an absolute URL as they came", () => {
    expect(Inspector.originForm("http://127.0.0.1:8080/inbox/api/delivery?id=..")).toBe("/inbox/api/delivery?id=..")
    expect(Inspector.originForm("https://h/inbox/./x/../y?a=%2E")).toBe("/inbox/./x/../y?a=%2E")
    expect(Inspector.originForm("http://h?x=1")).toBe("/?x=1")
    expect(Inspector.originForm("http://h")).toBe("/")
    expect(Inspector.originForm("/inbox?x")).toBe("/inbox?x")
  })
})

describe("Inspector: the page", () => {
  it("is read from this package's files, named by its path, with its content types and policy", async () => {
    const page = Inspector.loadPage("/ops/inbox")
    expect(page.ok).toBe(true)
    if (!page.ok) return
    const html = page.value.get("")!
    expect(html.body).toContain(`<script type="module" src="/ops/inbox/app.js"></script>`)
    expect(html.body).not.toContain("__BASE__")
    expect(html.headers["content-type"]).toBe("text/html; charset=utf-8")
    expect(html.headers["content-security-policy"]).toContain("frame-ancestors 'none'")
    expect(Number(html.headers["content-length"])).toBe(new TextEncoder().encode(html.body).byteLength)
    expect(page.value.get("/app.js")!.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(page.value.get("/style.css")!.headers["content-type"]).toBe("text/css; charset=utf-8")
    const door = Inspector.make({ path: "/ops/inbox", page: page.value })
    const served = async (method: string, url: string) => {
      const routed = await door(request(method, url))
      return routed._tag === "Answer" ? routed.answer.status : routed.call._tag
    }
    expect(await served("GET", "/ops/inbox")).toBe(200)
    expect(await served("GET", "/ops/inbox/")).toBe(200)
    expect(await served("HEAD", "/ops/inbox/style.css")).toBe(200)
    expect(await served("POST", "/ops/inbox/app.js")).toBe(405)
    expect(await served("GET", "/ops/inbox/index.html")).toBe(404)
  })

  it("counts its bytes, not its characters", () => {
    const page = Inspector.pageOf("/\u00e9", (file) => (file === "index.html" ? "__BASE__" : "\u2713"))
    expect(page.get("")!.body).toBe("/\u00e9")
    expect(page.get("")!.headers["content-length"]).toBe("3")
    expect(page.get("/app.js")!.headers["content-length"]).toBe("3")
  })
})

describe("Inspector: the endpoint's answers per minute", () => {
  it("counts what the counters gained in each minute, by outcome, for the last hour", () => {
    let now = Date.parse("2026-12-07T10:00:30Z")
    let totals: Array<Inspector.Count> = [{ outcome: "processed", count: 5 }]
    const traffic = Inspector.traffic(() => totals, () => now)
    expect(traffic.read()).toEqual({ bucketMs: 60_000, since: null, minutes: [] })
    traffic.start()
    traffic.start()
    totals = [{ outcome: "processed", count: 7 }, { outcome: "rejected", count: 1 }, { outcome: "rejected", count: 2 }]
    now += 10_000
    traffic.sample()
    now += 60_000
    totals = [{ outcome: "processed", count: 8 }, { outcome: "rejected", count: 3 }]
    const read = traffic.read()
    expect(read.since).toBe("2026-12-07T10:00:30.000Z")
    expect(read.minutes).toEqual([
      { start: "2026-12-07T10:00:00.000Z", counts: { processed: 2, rejected: 3 } },
      { start: "2026-12-07T10:01:00.000Z", counts: { processed: 1 } }
    ])
    // An hour later, both minutes are forgotten; a quiet minute leaves none.
    now += 60 * 60_000
    expect(traffic.read().minutes).toEqual([])
  })
})
