/**
 * The inspector's HTTP side (`packages/cli/src/receiver/inspector.ts`) as a client meets it, on the receiver
 * composed as `npm start` composes it, in this process with a handler the test controls, its inbox on a SQLite
 * file: the token rule, the sign-in by address, the JSON API and its errors, the guard on changes; and `npm start`
 * itself (through tsx) for the development token it prints and for /inbox without a token.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { WebhookTesting } from "effect4-openai-webhooks"
import { load } from "../src/receiver/config.js"
import { type Inspected, SECRET, startInspected } from "./support/inspector.js"
import { killGroups } from "../../engine/test/support/process.js"
import { receiverEnv, startReceiver, stopReceiver } from "./support/receiver.js"
import { RECEIVER_SOURCE } from "./support/apps.js"
import { withVariables } from "./support/env.js"

const TOKEN = "inspector-token-for-the-tests-0123"
const RECEIVER = ["node", "--import", "tsx", RECEIVER_SOURCE]

let receiver: Inspected
/** While true, the handler fails, as a handler whose downstream is down. */
let failing = false

beforeAll(async () => {
  receiver = await startInspected(
    () => failing ? Effect.fail(new Error("the downstream API answered 503")) : Effect.void,
    { WEBHOOK_INSPECTOR_TOKEN: TOKEN }
  )
})

afterAll(async () => {
  killGroups()
  await receiver?.close()
})

const bearer = { authorization: `Bearer ${TOKEN}` }

const request = (path: string, init: RequestInit = {}) =>
  fetch(`${receiver.origin}${path}`, { redirect: "manual", ...init })

const api = async (path: string, init: RequestInit = {}) => {
  const response = await request(`/inbox/api/${path}`, { ...init, headers: { ...bearer, ...init.headers } })
  return { status: response.status, body: await response.json() as any }
}

const event = WebhookTesting.sample("response.completed")

describe("without the token", () => {
  const paths = [
    "/inbox",
    "/inbox/",
    "/inbox/app.js",
    "/inbox/style.css",
    "/inbox/index.html",
    "/inbox/api/deliveries",
    "/inbox/api/deliveries/msg_1",
    "/inbox/api/stats",
    "/inbox/api/timeline",
    "/inbox/nothing-here"
  ]

  it("answers 401 and nothing else on every path and method: the same bytes whatever exists", async () => {
    const answers = new Set<string>()
    const tries: ReadonlyArray<readonly [string, RequestInit]> = [
      ...paths.map((path) => [path, {}] as const),
      ["/inbox/api/recover?since=2020-01-01T00:00:00Z", { method: "POST", headers: { "x-inspector": "1" } }],
      ["/inbox/api/deliveries/msg_1/replay", { method: "POST", headers: { "x-inspector": "1" } }],
      ["/inbox/api/deliveries/msg_1", { method: "DELETE" }],
      ["/inbox", { headers: { authorization: `Bearer ${TOKEN}x` } }],
      ["/inbox", { headers: { authorization: `Basic ${TOKEN}` } }],
      ["/inbox", { headers: { cookie: "inspector_token=wrong" } }],
      // The right token in a cookie of another name, or in a header the rule does not read.
      ["/inbox", { headers: { cookie: `token=${TOKEN}` } }],
      ["/inbox", { headers: { "x-inspector-token": TOKEN } }]
    ]
    for (const [path, init] of tries) {
      const response = await request(path, init)
      assert.strictEqual(response.status, 401, `${init.method ?? "GET"} ${path}`)
      assert.isNull(response.headers.get("set-cookie"))
      answers.add(`${response.headers.get("content-type")} ${await response.text()}`)
    }
    assert.deepStrictEqual([...answers], [`application/json {"error":{"type":"Unauthorized"}}`])
  })

  it("answers 401 to the address with a wrong token, and sets no cookie", async () => {
    for (const query of [`?token=${TOKEN}x`, "?token=", `?token=${TOKEN.slice(0, -1)}`]) {
      const response = await request(`/inbox${query}`)
      assert.strictEqual(response.status, 401, query)
      assert.isNull(response.headers.get("set-cookie"))
    }
  })

  it("still serves deliveries and /healthz as before", async () => {
    assert.strictEqual((await request("/healthz")).status, 200)
    assert.strictEqual((await request("/inboxes")).status, 404)
  })
})

describe("signing in with the printed address", () => {
  it("redirects to /inbox with the token in an HttpOnly, SameSite=Strict cookie, then serves the page", async () => {
    const response = await request(`/inbox?token=${encodeURIComponent(TOKEN)}`)
    assert.strictEqual(response.status, 303)
    assert.strictEqual(response.headers.get("location"), "/inbox")
    assert.strictEqual(response.headers.get("cache-control"), "no-store")
    assert.strictEqual(response.headers.get("referrer-policy"), "no-referrer")
    const cookie = response.headers.get("set-cookie")!
    const attributes = cookie.split(";").map((part) => part.trim())
    assert.includeMembers(attributes, ["HttpOnly", "SameSite=Strict", "Path=/inbox"])
    assert.notInclude(await response.text(), TOKEN)

    const pair = attributes[0]!
    const page = await request("/inbox", { headers: { cookie: pair } })
    assert.strictEqual(page.status, 200)
    assert.strictEqual(page.headers.get("content-type"), "text/html; charset=utf-8")
    const csp = page.headers.get("content-security-policy")!
    assert.include(csp, "script-src 'self'")
    assert.include(csp, "default-src 'none'")
    const html = await page.text()
    assert.include(html, "<title>Webhook inbox</title>")
    assert.include(html, `src="/inbox/app.js"`)
    for (const [path, type] of [["/inbox/app.js", "text/javascript"], ["/inbox/style.css", "text/css"]]) {
      const asset = await request(path!, { headers: { cookie: pair } })
      assert.strictEqual(asset.status, 200, path)
      assert.match(asset.headers.get("content-type")!, new RegExp(`^${type}`))
      assert.isAbove((await asset.text()).length, 100)
    }
    assert.strictEqual((await request("/inbox/", { headers: { cookie: pair } })).status, 200)
    assert.strictEqual((await request("/inbox/other.js", { headers: { cookie: pair } })).status, 404)
    assert.strictEqual((await request("/inbox", { method: "POST", headers: { cookie: pair } })).status, 405)
  })
})

describe("the JSON API", () => {
  it("lists deliveries newest first with the CLI's filters, and shows one with its body and attempts", async () => {
    failing = false
    assert.strictEqual((await receiver.deliver({ id: "msg_api_done_1", event })).status, 200)
    failing = true
    assert.strictEqual((await receiver.deliver({ id: "msg_api_failed_1", event })).status, 500)
    failing = false

    const all = await api("deliveries")
    assert.strictEqual(all.status, 200)
    const ids = all.body.deliveries.map((d: any) => d.webhookId)
    assert.includeMembers(ids, ["msg_api_done_1", "msg_api_failed_1"])
    assert.isBelow(ids.indexOf("msg_api_failed_1"), ids.indexOf("msg_api_done_1"))

    const failed = await api("deliveries?status=failed")
    assert.deepStrictEqual(failed.body.deliveries.map((d: any) => d.status), failed.body.deliveries.map(() => "failed"))
    assert.include(failed.body.deliveries.map((d: any) => d.webhookId), "msg_api_failed_1")
    const both = await api("deliveries?status=failed&status=done&type=response.")
    assert.includeMembers(both.body.deliveries.map((d: any) => d.webhookId), ["msg_api_done_1", "msg_api_failed_1"])
    const none = await api("deliveries?type=batch.")
    assert.notInclude(none.body.deliveries.map((d: any) => d.webhookId), "msg_api_done_1")
    const future = await api(`deliveries?since=${new Date(Date.now() + 3_600_000).toISOString()}`)
    assert.deepStrictEqual(future.body, { deliveries: [], next: null })

    const page = await api("deliveries?limit=1")
    assert.strictEqual(page.body.deliveries.length, 1)
    assert.isString(page.body.next)
    const next = await api(`deliveries?limit=1&after=${encodeURIComponent(page.body.next)}`)
    assert.notStrictEqual(next.body.deliveries[0].webhookId, page.body.deliveries[0].webhookId)

    const shown = await api("deliveries/msg_api_failed_1")
    assert.strictEqual(shown.status, 200)
    assert.strictEqual(shown.body.webhookId, "msg_api_failed_1")
    assert.strictEqual(shown.body.eventType, "response.completed")
    assert.strictEqual(shown.body.status, "failed")
    const sent = WebhookTesting.unsafeSign({ event, secret: SECRET }).body
    assert.deepStrictEqual(JSON.parse(shown.body.body), JSON.parse(sent))
    assert.strictEqual(shown.body.history.length, 1)
    assert.strictEqual(shown.body.history[0].outcome, "failed")
    assert.include(shown.body.history[0].error, "the downstream API answered 503")
    assert.isNotNaN(Date.parse(shown.body.receivedAt))
    // Never a signature: the log does not keep one.
    assert.notInclude(JSON.stringify(shown.body), "v1,")
  })

  it("counts by status and draws the last hour per minute", async () => {
    const stats = await api("stats")
    assert.strictEqual(stats.status, 200)
    assert.isAtLeast(stats.body.byStatus.done, 1)
    assert.isAtLeast(stats.body.byStatus.failed, 1)
    const timeline = await api(`timeline?since=${new Date(Date.now() - 3_600_000).toISOString()}`)
    assert.strictEqual(timeline.status, 200)
    assert.strictEqual(timeline.body.bucketMs, 60_000)
    const total = timeline.body.buckets.reduce((sum: number, b: any) => sum + b.counts.done + b.counts.failed, 0)
    assert.isAtLeast(total, 2)
  })

  it("replays a delivery, which the receiver runs again", async () => {
    failing = true
    assert.strictEqual((await receiver.deliver({ id: "msg_api_replay", event })).status, 500)
    failing = false
    const replayed = await api("deliveries/msg_api_replay/replay", { method: "POST" })
    assert.deepStrictEqual(replayed, { status: 200, body: { replayed: "msg_api_replay" } })
    await receiver.waitForLine({ message: "processed", webhook_id: "msg_api_replay" })
    const shown = await api("deliveries/msg_api_replay")
    assert.strictEqual(shown.body.status, "done")
    assert.deepStrictEqual(shown.body.history.map((a: any) => a.outcome), ["failed", "processed"])
  })

  it("answers the inbox's errors with their reason: 404, 409, 400", async () => {
    const missing = await api("deliveries/msg_nobody")
    assert.strictEqual(missing.status, 404)
    assert.strictEqual(missing.body.error.reason, "NotFound")
    assert.strictEqual((await api("deliveries/msg_nobody/replay", { method: "POST" })).body.error.reason, "NotFound")

    assert.strictEqual((await receiver.deliver({ id: "msg_api_not_dead", event })).status, 200)
    const notDead = await api("deliveries/msg_api_not_dead/discard", { method: "POST" })
    assert.strictEqual(notDead.status, 409)
    assert.strictEqual(notDead.body.error.type, "InboxError")
    assert.strictEqual(notDead.body.error.reason, "NotDead")
    assert.strictEqual((await api("deliveries/msg_api_not_dead", { method: "DELETE" })).status, 409)

    for (
      const query of [
        "deliveries?status=lost",
        "deliveries?since=yesterday",
        "deliveries?limit=ten",
        "deliveries?limit=0",
        "deliveries?limit=501",
        "deliveries?after=not-a-cursor"
      ]
    ) {
      const answer = await api(query)
      assert.strictEqual(answer.status, 400, query)
      assert.strictEqual(answer.body.error.reason, "InvalidQuery", query)
      assert.isString(answer.body.error.message)
    }
    const recoverWithout = await api("recover", { method: "POST" })
    assert.strictEqual(recoverWithout.status, 400)
    assert.strictEqual((await api("recover?since=2020-01-01T00:00:00Z&status=done", { method: "POST" })).status, 400)
  })

  it("recovers what failed since a time, and says how many", async () => {
    // Only this one failed since: the others of this file failed earlier, or were replayed.
    const since = new Date().toISOString()
    failing = true
    assert.strictEqual((await receiver.deliver({ id: "msg_api_recover", event })).status, 500)
    failing = false
    const recovered = await api(`recover?since=${encodeURIComponent(since)}&status=failed`, { method: "POST" })
    assert.strictEqual(recovered.status, 200)
    assert.strictEqual(recovered.body.recovered, 1)
    await receiver.waitForLine({ message: "processed", webhook_id: "msg_api_recover" })
    // The attempt the recovery made is marked replayed in the history; OpenAI's own is not.
    const history = (await api("delivery?id=msg_api_recover")).body.history
    assert.deepStrictEqual(history.map((a: any) => [a.attempt, a.outcome, a.replayed ?? false]), [
      [1, "failed", false],
      [2, "processed", true]
    ])
  })

  it("changes nothing for a cookie without x-inspector: 1 (a cross-site form), and does with it", async () => {
    failing = true
    assert.strictEqual((await receiver.deliver({ id: "msg_api_csrf", event })).status, 500)
    failing = false
    const cookie = `inspector_token=${encodeURIComponent(TOKEN)}`
    const forged = await request("/inbox/api/deliveries/msg_api_csrf/replay", { method: "POST", headers: { cookie } })
    assert.strictEqual(forged.status, 403)
    const recover = await request("/inbox/api/recover?since=2020-01-01T00:00:00Z", {
      method: "POST",
      headers: { cookie }
    })
    assert.strictEqual(recover.status, 403)
    assert.strictEqual((await api("deliveries/msg_api_csrf")).body.status, "failed")
    // Reading needs no header.
    assert.strictEqual((await request("/inbox/api/stats", { headers: { cookie } })).status, 200)
    const asked = await request("/inbox/api/deliveries/msg_api_csrf/replay", {
      method: "POST",
      headers: { cookie, "x-inspector": "1" }
    })
    assert.strictEqual(asked.status, 200)
    await receiver.waitForLine({ message: "processed", webhook_id: "msg_api_csrf" })
  })

  it("answers 405 with Allow to a wrong method, 404 to an unknown route", async () => {
    const get = await request("/inbox/api/deliveries/msg_api_done_1/replay", { headers: bearer })
    assert.strictEqual(get.status, 405)
    assert.strictEqual(get.headers.get("allow"), "POST")
    assert.strictEqual((await request("/inbox/api/stats", { method: "POST", headers: bearer })).status, 405)
    assert.strictEqual((await request("/inbox/api/nothing", { headers: bearer })).status, 404)
    assert.strictEqual((await request("/inbox/api/deliveries/a/b/c", { headers: bearer })).status, 404)
    assert.strictEqual((await request("/inbox/api/deliveries/%E0%A4%A", { headers: bearer })).status, 404)
  })

  it("opens, replays, refuses to discard a delivery whatever its id: ., .., /, %2E, ?, #, é, a long one", async () => {
    // Each a path step or a delimiter if it were put in the path: the API takes the id in the query.
    const kinds = [".", "..", "/", "%2E", "%2e%2E", "?", "#", "a/../b", "msg_\u00e9t\u00e9", `msg_${"long".repeat(250)}`]
    for (const id of kinds) {
      failing = true
      assert.strictEqual((await receiver.deliver({ id, event })).status, 500, id)
      failing = false
      const query = `id=${encodeURIComponent(id)}`
      const shown = await api(`delivery?${query}`)
      assert.strictEqual(shown.status, 200, id)
      assert.strictEqual(shown.body.webhookId, id)
      assert.strictEqual(shown.body.status, "failed", id)
      const replayed = await api(`delivery/replay?${query}`, { method: "POST" })
      assert.deepStrictEqual(replayed, { status: 200, body: { replayed: id } })
      await receiver.waitForLine({ message: "inspector: replayed", webhook_id: id })
      await receiver.waitForLine({ message: "processed", webhook_id: id })
      assert.strictEqual((await api(`delivery?${query}`)).body.status, "done", id)
      // Found, and refused for what it is (not dead), rather than a 404 for another path.
      const discard = await api(`delivery/discard?${query}`, { method: "POST" })
      assert.strictEqual(discard.status, 409, id)
      assert.strictEqual(discard.body.error.webhookId, id)
    }
    assert.strictEqual((await api("delivery")).body.error.reason, "InvalidQuery")
    assert.strictEqual((await api("delivery?id=msg_nobody_here")).status, 404)
    // The query routes guard changes as the path routes do.
    const cookie = `inspector_token=${encodeURIComponent(TOKEN)}`
    const forged = await request("/inbox/api/delivery/replay?id=.", { method: "POST", headers: { cookie } })
    assert.strictEqual(forged.status, 403)
  })

  it("counts what a recover would replay before it does, and logs what it did to which ids", async () => {
    const since = new Date().toISOString()
    failing = true
    for (const id of ["msg_api_count_1", "msg_api_count_2"]) {
      assert.strictEqual((await receiver.deliver({ id, event })).status, 500)
    }
    failing = false
    const window = `since=${encodeURIComponent(since)}&until=${encodeURIComponent(new Date().toISOString())}` +
      "&status=failed"
    const preview = await api(`recover?${window}`)
    assert.strictEqual(preview.status, 200)
    assert.strictEqual(preview.body.count, 2)
    assert.sameMembers(preview.body.ids, ["msg_api_count_1", "msg_api_count_2"])
    // Counting changed nothing.
    assert.strictEqual((await api("delivery?id=msg_api_count_1")).body.status, "failed")
    const recovered = await api(`recover?${window}`, { method: "POST" })
    assert.strictEqual(recovered.body.recovered, preview.body.count)
    // The earlier recover of this file logged one line too: this one is the line of these two.
    const line = await receiver.waitForLine({ message: "inspector: recovered", since })
    assert.strictEqual(line["recovered"], "2")
    assert.sameMembers(line["webhook_ids"]!.split(","), ["msg_api_count_1", "msg_api_count_2"])
    assert.strictEqual(line["since"], since)
    assert.strictEqual(line["status"], "failed")
  })

  it("counts the endpoint's answers per minute, the refused ones the inbox never stores included", async () => {
    const total = async (outcome: string): Promise<number> => {
      const answers = await api("answers")
      assert.strictEqual(answers.status, 200)
      assert.strictEqual(answers.body.bucketMs, 60_000)
      return answers.body.minutes.reduce((sum: number, m: any) => sum + (m.counts[outcome] ?? 0), 0)
    }
    const before = {
      rejected: await total("rejected"),
      invalid: await total("invalid"),
      duplicate: await total("duplicate")
    }
    // A wrong secret (401), an authentic body that is not an event (400), a copy of a delivery handled already (200).
    const forged = WebhookTesting.unsafeSign({ event, secret: "whsec_" + Buffer.alloc(32, 7).toString("base64") })
    const rejected = await fetch(`${receiver.origin}/webhooks/openai`, {
      method: "POST",
      body: forged.body,
      headers: forged.headers
    })
    assert.strictEqual(rejected.status, 401)
    assert.strictEqual((await receiver.deliver({ id: "msg_api_not_an_event", payload: "not json" })).status, 400)
    assert.strictEqual((await receiver.deliver({ id: "msg_api_copy", event })).status, 200)
    assert.strictEqual((await receiver.deliver({ id: "msg_api_copy", event })).status, 200)
    assert.deepStrictEqual({
      rejected: await total("rejected"),
      invalid: await total("invalid"),
      duplicate: await total("duplicate")
    }, { rejected: before.rejected + 1, invalid: before.invalid + 1, duplicate: before.duplicate + 1 })
    // Neither the rejected nor the invalid one is stored.
    assert.strictEqual((await api("delivery?id=msg_api_not_an_event")).status, 404)
  })

  it("never logs the token", () => {
    assert.notInclude(receiver.logs(), TOKEN)
  })
})

describe("WEBHOOK_INSPECTOR_TOKEN", () => {
  const settings = (env: Record<string, string>) =>
    Effect.runSync(Effect.result(load.pipe(withVariables(env))))

  it("refuses a token too short to guess safely, naming the variable and never showing the value", () => {
    const result = settings({ WEBHOOK_INSPECTOR_TOKEN: "short-token" })
    if (Result.isSuccess(result)) return assert.fail("a 11-character token was taken")
    const error = result.failure
    assert.match(error.message, /^WEBHOOK_INSPECTOR_TOKEN: /)
    assert.match(error.hint, /^WEBHOOK_INSPECTOR_TOKEN is a random string of at least 16/)
    assert.notInclude(error.message + error.hint, "short-token")
  })

  it("without it and with a secret, npm start serves no inspector: /inbox is a 404", async () => {
    const started = await startReceiver(RECEIVER, await receiverEnv({ OPENAI_WEBHOOK_SECRET: SECRET }))
    try {
      for (const path of ["/inbox", "/inbox/app.js", "/inbox/api/stats", "/inbox?token=anything-at-all-0123"]) {
        const response = await fetch(`${started.origin}${path}`, { redirect: "manual" })
        assert.strictEqual(response.status, 404, path)
      }
    } finally {
      await stopReceiver(started)
    }
  })

  it("without a secret either, npm start makes a token for the run and prints the address that signs in", async () => {
    const env = await receiverEnv()
    delete env["OPENAI_WEBHOOK_SECRET"]
    delete env["WEBHOOK_INSPECTOR_TOKEN"]
    const started = await startReceiver(RECEIVER, env)
    try {
      const address = new RegExp(
        `^ {4}(http://127\\.0\\.0\\.1:${started.port}/inbox\\?token=([A-Za-z0-9_-]{43}))$`,
        "m"
      )
      const printed = address.exec(started.stderr.text)
      assert.isNotNull(printed, started.stderr.text)
      const signIn = await fetch(printed![1]!, { redirect: "manual" })
      assert.strictEqual(signIn.status, 303)
      const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!
      assert.strictEqual((await fetch(`${started.origin}/inbox`, { headers: { cookie } })).status, 200)
      assert.strictEqual((await fetch(`${started.origin}/inbox`)).status, 401)
      // On stderr with the development secret, never in the log.
      assert.notInclude(started.stdout.text, printed![2]!)
    } finally {
      await stopReceiver(started)
    }
  })
})
