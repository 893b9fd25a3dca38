/**
 * `openai-webhooks endpoints ...` and `openai-webhooks event-types` as users run them: the CLI in child processes
 * (through tsx, so that this file needs no build), `OPENAI_BASE_URL` pointing at OpenAI's API as documented, served
 * on a loopback port (the engine's `test/support/openai-api.ts`). Every run's output is kept, and searched at the end
 * for the API key and for any signing secret outside the two commands that print one on purpose.
 */
import { afterAll, afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { Webhooks, WebhookSecret } from "effect4-openai-webhooks"
import { FakeOpenAI, subscribable } from "../../engine/test/support/openai-api.js"
import { assertExplained, killGroups, linesOf, PATIENCE, type Run, runToEnd } from "../../engine/test/support/process.js"
import { CLI_SOURCE } from "./support/apps.js"

const apiKey = "sk-proj-Cl1EndpointsTestKeyVb7Hq2Wm9Zx4Ty6Rn3"

let fake: FakeOpenAI

beforeEach(async () => {
  fake = await FakeOpenAI.start(apiKey)
})

afterEach(async () => {
  killGroups()
  await fake.close()
})

/** Every run, and whether it may print a signing secret (create and rotate do, once). */
const runs: Array<{ readonly run: Run; readonly printsSecret: boolean }> = []

/** Our environment for a child: the fake's URL and the key unless `extra` says otherwise, no colours. */
const envWith = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  const ours = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_WEBHOOK_SECRET"]
  for (const name of ours) delete env[name]
  const merged: NodeJS.ProcessEnv = { ...env, OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: fake.baseUrl, ...extra }
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name]
  return merged
}

/** Runs `openai-webhooks ...args` to its end. */
const cli = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Run> => {
  const run = await runToEnd(["node", "--import", "tsx", CLI_SOURCE, ...args], envWith(env))
  runs.push({ run, printsSecret: ["create", "rotate"].includes(args[1] ?? "") && args[0] === "endpoints" })
  return run
}

/** Exit code 0, nothing on stderr. */
const ok = (run: Run) => {
  assert.strictEqual(run.code, 0, run.stderr)
  assert.strictEqual(run.stderr, "")
  return run.stdout
}

/** Whether the receiver, with `OPENAI_WEBHOOK_SECRET` set to `value`, verifies what the fake delivers at `at`. */
const receiverVerifies = (value: string, id: string, at: number): Promise<boolean> =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* TestClock.setTime(at * 1000)
      const headers = fake.deliver(id, "{}", at)
      return yield* Webhooks.verify("{}", headers).pipe(
        Effect.provide(
          WebhookSecret.layerConfig().pipe(
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { OPENAI_WEBHOOK_SECRET: value } })))
          )
        ),
        Effect.result
      )
    }).pipe(Effect.provide(TestClock.layer()), Effect.map(Result.isSuccess))
  )

/** The value of `OPENAI_WEBHOOK_SECRET="..."` on a line of `text` that contains `marker`. */
const secretLine = (text: string, marker: string) => {
  const line = linesOf(text).find((line) => line.includes("OPENAI_WEBHOOK_SECRET=") && line.includes(marker))
  assert.isDefined(line, text)
  const match = /OPENAI_WEBHOOK_SECRET="([^"]*)" npx openai-webhooks serve$/.exec(line!.trim())
  assert.isNotNull(match, line)
  return match![1]!
}

const createArgs = ["endpoints", "create", "--url", "https://example.com/webhooks/openai", "--name", "production"]

describe("openai-webhooks endpoints create", () => {
  it("prints the endpoint and its secret once, with the next step, and that step verifies OpenAI's deliveries", {
    timeout: PATIENCE
  }, async () => {
    const stdout = ok(
      await cli([...createArgs, "--events", "response.completed,batch.completed"], { OPENAI_PROJECT_ID: "proj_42" })
    )
    const [request] = fake.requests
    assert.deepStrictEqual(JSON.parse(request!.body), {
      url: "https://example.com/webhooks/openai",
      name: "production",
      event_types: ["response.completed", "batch.completed"]
    })
    assert.strictEqual(request?.headers.authorization, `Bearer ${apiKey}`)
    assert.strictEqual(request?.headers["openai-project"], "proj_42")
    const id = /^created (whe_[0-9a-f]+)$/m.exec(stdout)?.[1]
    assert.isDefined(id, stdout)
    const [secret] = fake.secretsOf(id!)
    assert.match(stdout, new RegExp(`^event types response\\.completed, batch\\.completed$`, "m"))
    assert.include(stdout, "Its signing secret, shown this once (OpenAI keeps only a hint): store it now.")
    assert.include(linesOf(stdout), `  ${secret}`)
    const value = secretLine(stdout, "npx openai-webhooks serve")
    assert.strictEqual(value, secret)
    assert.isTrue(await receiverVerifies(value, id!, fake.now))
  })

  it("subscribes to every type OpenAI lists with --events all, asking the API for them", {
    timeout: PATIENCE
  }, async () => {
    const stdout = ok(await cli([...createArgs, "--events", "all", "--json"]))
    assert.deepStrictEqual(fake.requests.map((request) => `${request.method} ${request.path}`), [
      "GET /v1/webhook_event_types",
      "POST /v1/webhook_endpoints"
    ])
    const endpoint = JSON.parse(stdout) as Record<string, unknown>
    assert.deepStrictEqual(endpoint["event_types"], subscribable)
    // --json is OpenAI's own JSON, secret included: the script asked for it.
    assert.deepStrictEqual(fake.secretsOf(endpoint["id"] as string), [endpoint["signing_secret"] as string])
    assert.strictEqual(endpoint["object"], "webhook_endpoint")
  })

  it("refuses an http:// URL without sending it, and says what --url takes (exit 2)", {
    timeout: PATIENCE
  }, async () => {
    const run = await cli([
      ...createArgs.slice(0, 3),
      "http://example.com/hook",
      "--name",
      "x",
      "--events",
      "video.failed"
    ])
    assertExplained(run, 2, /url must be https:\/\//, /--url is an https:\/\/ URL of at most 2048 characters/)
    assert.deepStrictEqual(fake.requests, [])
  })

  it("passes on OpenAI's refusal of an event type, with a hint at event-types (exit 2)", {
    timeout: PATIENCE
  }, async () => {
    const run = await cli([...createArgs, "--events", "response.completd"])
    assertExplained(run, 2, /400, the request was refused: event_types must only contain .* \(request req_\d+\)$/, /event-types/)
  })

  it("does not retry a create that OpenAI failed with a 500, and says to look first (exit 1)", {
    timeout: PATIENCE
  }, async () => {
    fake.answerNext(1, { status: 500 })
    const run = await cli([...createArgs, "--events", "response.completed"])
    assertExplained(
      run,
      1,
      new RegExp(
        "POST /webhook_endpoints: 500, OpenAI failed: .*The request may have reached OpenAI; not retried: " +
          "check with list/retrieve before trying again"
      ),
      /look before you try again: openai-webhooks endpoints list/
    )
    assert.strictEqual(fake.requests.length, 1)
  })
})

describe("openai-webhooks endpoints list, get, update, delete", () => {
  it("lists every endpoint newest first across pages, as a table or as JSON, and --limit stops early", {
    timeout: PATIENCE
  }, async () => {
    const ids = fake.seed(130)
    const table = linesOf(ok(await cli(["endpoints", "list"])))
    assert.match(table[0]!, /^ID +NAME +CREATED +URL +EVENTS$/)
    assert.deepStrictEqual(table.slice(1).map((line) => line.split(/ +/)[0]), [...ids].reverse())
    const created = "2026-11-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"
    const row = `^whe_[0-9a-f]+ +seeded 130 +${created} +https://example\\.com/hooks/130 +response\\.completed$`
    assert.match(table[1]!, new RegExp(row))
    assert.deepStrictEqual(fake.requests.map((request) => request.query.toString()), [
      "limit=100",
      `after=${ids[30]}&limit=100`
    ])
    const printed = ok(await cli(["endpoints", "list", "--limit", "3", "--json"]))
    const listed: Array<Record<string, unknown>> = JSON.parse(printed)
    assert.deepStrictEqual(listed.map((endpoint) => endpoint["id"]), [ids[129], ids[128], ids[127]])
    assert.deepStrictEqual(Object.keys(listed[0]!).sort(), [
      "created_at",
      "event_types",
      "id",
      "name",
      "object",
      "signing_secret_hint",
      "url"
    ])
    assert.strictEqual(fake.requests.at(-1)?.query.toString(), "limit=3")
    assert.strictEqual(fake.requests.length, 3)
  })

  it("says there are none, and how to make one", { timeout: PATIENCE }, async () => {
    assert.match(ok(await cli(["endpoints", "list"])), /^no endpoints \(create one: openai-webhooks endpoints create/)
  })

  it("gets one endpoint, updates it (--events replaces the set), deletes it, and then finds it gone", {
    timeout: 2 * PATIENCE
  }, async () => {
    const [id] = fake.seed(1, ["batch.completed", "batch.failed"])
    const got = ok(await cli(["endpoints", "get", id!]))
    assert.deepStrictEqual(linesOf(got).slice(0, 5), [
      `id          ${id}`,
      "name        seeded 1",
      "url         https://example.com/hooks/1",
      "event types batch.completed, batch.failed",
      `secret hint whsec_...${fake.secretsOf(id!)[0]!.slice(-4)}`
    ])
    const updated = ok(await cli(["endpoints", "update", id!, "--name", "renamed", "--events", "video.completed"]))
    assert.include(updated, `updated ${id}`)
    assert.include(linesOf(updated), "event types video.completed")
    assert.include(linesOf(updated), "name        renamed")
    assert.deepStrictEqual(JSON.parse(fake.requests.at(-1)!.body), {
      name: "renamed",
      event_types: ["video.completed"]
    })
    assert.strictEqual(ok(await cli(["endpoints", "delete", id!])), `deleted ${id}\n`)
    const gone = await cli(["endpoints", "get", id!])
    const notFound = new RegExp(`GET /webhook_endpoints/${id}: 404, not found: .* \\(request req_\\d+\\)$`)
    assertExplained(gone, 1, notFound, /endpoints list/)
  })

  it("refuses an update that changes nothing, without asking OpenAI (exit 2)", { timeout: PATIENCE }, async () => {
    assertExplained(await cli(["endpoints", "update", "whe_1"]), 2, /^error: nothing to change$/, /--url, --name or --events/)
    assert.deepStrictEqual(fake.requests, [])
  })
})

describe("openai-webhooks endpoints rotate", () => {
  it("with --keep-old prints the new secret once and steps that keep every receiver verifying", {
    timeout: PATIENCE
  }, async () => {
    const [id] = fake.seed(1)
    const [old] = fake.secretsOf(id!)
    const stdout = ok(await cli(["endpoints", "rotate", id!, "--keep-old"]))
    assert.deepStrictEqual(JSON.parse(fake.requests[0]!.body), { keep_old_secret_active_for_24_hours: true })
    const [fresh] = fake.secretsOf(id!)
    const rotatedAt = fake.now
    assert.match(stdout, /the old secret stays active for 24 hours, until about \d{4}-\d\d-\d\d \d\d:\d\d UTC\./)
    assert.include(linesOf(stdout), `  ${fresh}`)
    // Step 1, with the old secret where the line says: verifies during the 24 hours and after them.
    const both = secretLine(stdout, "<old secret>")
    assert.strictEqual(both, `${fresh} <old secret>`)
    const withOld = both.replace("<old secret>", old!)
    for (const at of [rotatedAt, rotatedAt + 24 * 60 * 60 - 1, rotatedAt + 24 * 60 * 60]) {
      assert.isTrue(await receiverVerifies(withOld, id!, at), `step 1 at +${at - rotatedAt} s`)
    }
    // A receiver not yet moved keeps verifying during the 24 hours: that is what makes it without downtime.
    assert.isTrue(await receiverVerifies(old!, id!, rotatedAt + 24 * 60 * 60 - 1))
    assert.isFalse(await receiverVerifies(old!, id!, rotatedAt + 24 * 60 * 60))
    // Step 2: the new secret alone.
    const last = linesOf(stdout).filter((line) => line.includes("OPENAI_WEBHOOK_SECRET=")).at(-1)!
    assert.strictEqual(last.trim(), `OPENAI_WEBHOOK_SECRET="${fresh}" npx openai-webhooks serve`)
    assert.isTrue(await receiverVerifies(fresh!, id!, rotatedAt))
  })

  it("without --keep-old says plainly that deliveries signed with the old secret now fail", {
    timeout: PATIENCE
  }, async () => {
    const [id] = fake.seed(1)
    const [old] = fake.secretsOf(id!)
    const stdout = ok(await cli(["endpoints", "rotate", id!]))
    assert.deepStrictEqual(JSON.parse(fake.requests[0]!.body), { keep_old_secret_active_for_24_hours: false })
    const [fresh] = fake.secretsOf(id!)
    assert.include(stdout, "the old secret stopped working now.")
    assert.include(stdout, "a receiver that still has the old one rejects them (401)")
    assert.include(stdout, "--keep-old keeps the old secret active for 24 hours")
    assert.isFalse(await receiverVerifies(old!, id!, fake.now))
    assert.strictEqual(secretLine(stdout, "npx openai-webhooks serve"), fresh)
    assert.isTrue(await receiverVerifies(fresh!, id!, fake.now))
  })
})

describe("openai-webhooks endpoints test, and event-types", () => {
  it("prints how the endpoint answered OpenAI's test event, and exits 1 when it did not succeed", {
    timeout: PATIENCE
  }, async () => {
    const [id] = fake.seed(1)
    assert.strictEqual(
      ok(await cli(["endpoints", "test", id!, "--type", "response.completed"])),
      `${id}: response.completed test event answered 200 (success)\n`
    )
    assert.deepStrictEqual(JSON.parse(fake.requests[0]!.body), { event_type: "response.completed" })
    fake.testDeliveryStatus = 401
    const run = await cli(["endpoints", "test", id!, "--type", "batch.completed", "--json"])
    assert.strictEqual(run.code, 1)
    assert.deepStrictEqual(JSON.parse(run.stdout), {
      object: "webhook_endpoint.test",
      webhook_endpoint_id: id,
      event_type: "batch.completed",
      status_code: 401,
      success: false
    })
  })

  it("lists the types OpenAI lets an endpoint subscribe to, one per line or as JSON", {
    timeout: PATIENCE
  }, async () => {
    assert.deepStrictEqual(linesOf(ok(await cli(["event-types"]))), [...subscribable])
    assert.deepStrictEqual(JSON.parse(ok(await cli(["event-types", "--json"]))), [...subscribable])
    assert.deepStrictEqual(fake.requests.map((request) => request.path), [
      "/v1/webhook_event_types",
      "/v1/webhook_event_types"
    ])
  })
})

describe("openai-webhooks endpoints: the key, the network, OpenAI's answers", () => {
  it("without OPENAI_API_KEY says how to set it, and asks nothing (exit 2)", { timeout: PATIENCE }, async () => {
    assertExplained(
      await cli(["endpoints", "list"], { OPENAI_API_KEY: undefined }),
      2,
      /^error: OPENAI_API_KEY is not set$/,
      /export OPENAI_API_KEY=sk-\.\.\. .*never from a flag/
    )
    assert.deepStrictEqual(fake.requests, [])
  })

  it("with a key OpenAI refuses says so, without showing the key (exit 2)", { timeout: PATIENCE }, async () => {
    const run = await cli(["event-types"], { OPENAI_API_KEY: `${apiKey}-revoked` })
    const refused = /401, the API key was refused: Incorrect API key provided: sk-\.\.\.oked\./
    assertExplained(run, 2, refused, /OPENAI_API_KEY was refused/)
    assert.notInclude(run.stderr, `${apiKey}-revoked`)
  })

  it("names a variable it cannot use (exit 2)", { timeout: PATIENCE }, async () => {
    assertExplained(
      await cli(["event-types"], { OPENAI_BASE_URL: "api.openai.com/v1" }),
      2,
      /^error: OPENAI_BASE_URL: Expected an http\(s\) URL/,
      /https:\/\/api\.openai\.com\/v1 when unset/
    )
  })

  it("retries a 429 as OpenAI's retry-after says, and then answers (exit 0)", { timeout: PATIENCE }, async () => {
    fake.answerNext(1, { status: 429, retryAfter: "0" })
    assert.deepStrictEqual(linesOf(ok(await cli(["event-types"]))), [...subscribable])
    assert.strictEqual(fake.requests.length, 2)
  })

  it("calls an answer that is not OpenAI's InvalidResponse, with a hint at OPENAI_BASE_URL (exit 1)", {
    timeout: PATIENCE
  }, async () => {
    fake.answerNext(1, { status: 200, body: "<html>captive portal</html>" })
    assertExplained(await cli(["endpoints", "list"]), 1, /OpenAI answered 200 with a body that is not JSON/, /OPENAI_BASE_URL/)
  })

  it("says when OpenAI cannot be reached, and that a create may have reached it all the same (exit 1)", {
    timeout: PATIENCE
  }, async () => {
    const closed = fake.origin
    await fake.close()
    fake = await FakeOpenAI.start(apiKey)
    // create is not retried after a transport error (the Effect tests retry idempotent calls on the TestClock).
    assertExplained(
      await cli([...createArgs, "--events", "response.completed"], { OPENAI_BASE_URL: `${closed}/v1` }),
      1,
      new RegExp(
        "POST /webhook_endpoints: no answer from http://127\\.0\\.0\\.1:\\d+/v1: connect ECONNREFUSED \\S+\\. " +
          "The request may have reached OpenAI; not retried"
      ),
      /look before you try again: openai-webhooks endpoints list/
    )
  })
})

afterAll(() => {
  // The key never appears; a signing secret only where create and rotate print it on purpose.
  for (const { printsSecret, run } of runs) {
    const output = run.stdout + run.stderr
    assert.notInclude(output, apiKey)
    assert.notInclude(run.stderr, "whsec_")
    if (!printsSecret) assert.notMatch(output, /whsec_[A-Za-z0-9+/]{8,}/, output)
  }
})
