/**
 * `openai-webhooks` as users run it: the built CLI in child processes, `send` against a real receiver that
 * `openai-webhooks serve` runs on a loopback port, and `verify` on captured deliveries written to files.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { WebhookEvent, WebhookSignature, WebhookTesting } from "effect4-openai-webhooks"
import {
  build,
  freePort,
  killGroups,
  linesOf,
  PATIENCE,
  type Run,
  runToEnd,
  type Spawned,
  spawnGroup,
  within
} from "../../engine/test/support/process.js"
import { CLI } from "./support/apps.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const apiKey = "sk-proj-Xq3vT9LmN2pR7sK4wY8zB1cD5fG6hJ0a"
const types = WebhookEvent.EventType.literals

beforeAll(build, PATIENCE)

// A failed test must not leave a receiver or a CLI behind: kill their process groups.
afterEach(killGroups)

/** Our environment for a child, without a secret unless `extra` gives one, and without colours. */
const envWith = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  delete env["OPENAI_WEBHOOK_SECRET"]
  return { ...env, ...extra }
}

/** Runs `openai-webhooks ...args` to its end: its exit code and its whole output. */
const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Run> =>
  runToEnd(["node", CLI, ...args], envWith(env))

/** Runs `f` over `items`, at most `limit` at a time (each CLI run is a Node start-up: mind the CPUs). */
const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (item: A) => Promise<B>) => {
  const results: Array<B> = []
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await f(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

/** A usage error: exit code 2, nothing on stdout, one `error:` line and one `hint:` line on stderr. */
const assertUsageError = (run: Run, error: string | RegExp, hint: RegExp) => {
  assert.strictEqual(run.code, 2, run.stderr)
  assert.strictEqual(run.stdout, "")
  const [first, second, ...rest] = linesOf(run.stderr)
  if (typeof error === "string") assert.strictEqual(first, `error: ${error}`)
  else assert.match(first ?? "", error)
  assert.match(second ?? "", /^hint: /)
  assert.match(second ?? "", hint)
  assert.deepStrictEqual(rest, [])
}

describe("openai-webhooks secret", () => {
  it("prints one line, whsec_ and 32 random bytes in base64, different on each run", async () => {
    const runs = await Promise.all([cli(["secret"]), cli(["secret"])])
    for (const run of runs) {
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual(run.stderr, "")
      const encoded = /^whsec_([A-Za-z0-9+/]+={0,2})\n$/.exec(run.stdout)?.[1]
      assert.isDefined(encoded, run.stdout)
      const bytes = Buffer.from(encoded!, "base64")
      assert.strictEqual(bytes.length, 32)
      assert.strictEqual(bytes.toString("base64"), encoded)
    }
    assert.notStrictEqual(runs[0]!.stdout, runs[1]!.stdout)
  })
})

describe("openai-webhooks events", () => {
  it("lists every known event type, in order, each with a one-line description", async () => {
    const run = await cli(["events"])
    assert.strictEqual(run.code, 0, run.stderr)
    const rows = linesOf(run.stdout).map((line) => /^(\S+) +(\S.*)$/.exec(line))
    assert.deepStrictEqual(rows.map((row) => row?.[1]), [...types])
    for (const row of rows) assert.match(row![2]!, /^Sent when /)
  })
})

interface Receiver extends Spawned {
  /** The webhook endpoint. */
  readonly url: string
}

/** `openai-webhooks serve` on a free loopback port, with `secret`, once it logs "listening on". */
const serve = async (): Promise<Receiver> => {
  const port = await freePort()
  const spawned = spawnGroup(
    ["node", CLI, "serve", "--port", String(port), "--path", "/webhooks/openai", "--database", "memory"],
    envWith({ OPENAI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", WEBHOOK_MODE: "inline" })
  )
  const url = `http://127.0.0.1:${port}/webhooks/openai`
  await Promise.race([
    spawned.stdout.waitForLine({ message: `listening on ${url}` }),
    spawned.exit.then(({ code, signal }) => {
      const output = spawned.stdout.text + spawned.stderr.text
      throw new Error(`serve exited (${code ?? signal}) before listening:\n${output}`)
    })
  ])
  return { ...spawned, url }
}

/** `send`'s line for one delivery: status, type, webhook-id, the receiver's answer. */
const SENT = /^(\d{3}) (\S+) (msg_[0-9a-f]{32}) (.*)$/

const parseSent = (line: string) => {
  const match = SENT.exec(line)
  assert.isNotNull(match, `not a send line: ${line}`)
  const [, status, type, id, answer] = match!
  return { status: Number(status), type: type!, id: id!, answer: answer! }
}

describe("openai-webhooks send, to a receiver run by openai-webhooks serve", () => {
  it("sends each event type, answered 200 and processed by the receiver", { timeout: 3 * PATIENCE }, async () => {
    const receiver = await serve()
    const runs = await mapLimit(types, 4, (type) => cli(["send", type, "--url", receiver.url, "--secret", secret]))
    for (const [index, run] of runs.entries()) {
      const type = types[index]!
      assert.strictEqual(run.code, 0, `${type}: ${run.stderr}`)
      const lines = linesOf(run.stdout)
      assert.strictEqual(lines.length, 1, run.stdout)
      const sent = parseSent(lines[0]!)
      assert.deepStrictEqual([sent.status, sent.type, sent.answer], [200, type, "{\"received\":true}"])
      await receiver.stdout.waitForLine({ message: "processed", webhook_id: sent.id, event_type: type })
    }
  })

  it("takes the secret from OPENAI_WEBHOOK_SECRET when --secret is not given", { timeout: 2 * PATIENCE }, async () => {
    const receiver = await serve()
    const run = await cli(["send", "response.completed", "--url", receiver.url], { OPENAI_WEBHOOK_SECRET: secret })
    assert.strictEqual(run.code, 0, run.stderr)
    const sent = parseSent(linesOf(run.stdout)[0]!)
    assert.strictEqual(sent.status, 200)
    await receiver.stdout.waitForLine({ message: "processed", webhook_id: sent.id, event_type: "response.completed" })
  })

  it("sends one of every type with --all, each answered 200, then a summary", { timeout: 2 * PATIENCE }, async () => {
    const receiver = await serve()
    const run = await cli(["send", "--all", "--url", receiver.url, "--secret", secret])
    assert.strictEqual(run.code, 0, run.stderr)
    const lines = linesOf(run.stdout)
    const sent = lines.slice(0, -1).map(parseSent)
    assert.deepStrictEqual(sent.map((s) => s.type), [...types])
    assert.deepStrictEqual(sent.map((s) => s.status), types.map(() => 200))
    assert.match(lines.at(-1)!, new RegExp(`^sent ${types.length}: ${types.length} x 200; latency ms p50 `))
    for (const { id, type } of sent) {
      await receiver.stdout.waitForLine({ message: "processed", webhook_id: id, event_type: type })
    }
  })

  it("sends --count 20 and prints a summary of statuses and latency percentiles", {
    timeout: 2 * PATIENCE
  }, async () => {
    const receiver = await serve()
    const run = await cli(["send", "batch.completed", "--count", "20", "--url", receiver.url, "--secret", secret])
    assert.strictEqual(run.code, 0, run.stderr)
    const summary = /^sent 20: 20 x 200; latency ms p50 (\d+\.\d), p90 (\d+\.\d), p99 (\d+\.\d), max (\d+\.\d)\n$/.exec(
      run.stdout
    )
    assert.isNotNull(summary, run.stdout)
    const [p50, p90, p99, max] = summary!.slice(1).map(Number)
    assert.isTrue(0 < p50! && p50! <= p90! && p90! <= p99! && p99! <= max!, summary![0])
    const processed = await receiver.stdout.waitFor("20 processed deliveries", (output) => {
      const ids = output.lines
        .filter((line) => line["message"] === "processed" && line["event_type"] === "batch.completed")
        .map((line) => line["webhook_id"])
      return ids.length >= 20 ? ids : undefined
    })
    assert.strictEqual(new Set(processed).size, 20)
  })

  it("prints the 401 of a receiver with another secret, a hint, and exits 1", { timeout: 2 * PATIENCE }, async () => {
    const receiver = await serve()
    const run = await cli(["send", "video.failed", "--url", receiver.url, "--secret", otherSecret])
    assert.strictEqual(run.code, 1, run.stderr)
    const sent = parseSent(linesOf(run.stdout)[0]!)
    assert.deepStrictEqual([sent.status, sent.type], [401, "video.failed"])
    assert.deepStrictEqual(JSON.parse(sent.answer), {
      error: { type: "SignatureError", reason: "NoMatchingSignature" }
    })
    assert.include(run.stderr, "not every answer was 2xx (first: 401")
    assert.match(run.stderr, /^hint: .*secret/m)
    await receiver.stdout.waitForLine({ message: "rejected", webhook_id: sent.id, reason: "NoMatchingSignature" })
    for (const shown of [run.stdout, run.stderr]) assert.notInclude(shown, otherSecret.slice("whsec_".length))
  })
})

describe("openai-webhooks send, usage errors", () => {
  it("exits 2 with an error and a hint without an event type", async () => {
    assertUsageError(await cli(["send", "--secret", secret]), "which event type?", /send --all/)
  })

  it("exits 2 with an error and a hint on an unknown event type without --data", async () => {
    assertUsageError(
      await cli(["send", "nope.event", "--secret", secret]),
      "unknown event type \"nope.event\"",
      /openai-webhooks events/
    )
  })

  it("exits 2 with an error and a hint on --count 0", async () => {
    assertUsageError(
      await cli(["send", "batch.completed", "--count", "0", "--secret", secret]),
      "--count must be at least 1",
      /--count/
    )
  })

  it("exits 2 with an error and a hint without a secret", async () => {
    assertUsageError(
      await cli(["send", "batch.completed"]),
      "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET",
      /development secret/
    )
  })

  it("exits 2 on an unknown flag", async () => {
    const run = await cli(["send", "batch.completed", "--secret", secret, "--bogus"])
    assert.strictEqual(run.code, 2, run.stderr)
    assert.include(run.stdout + run.stderr, "--bogus")
  })

  it("exits 2 on a --count that is not a number", async () => {
    const run = await cli(["send", "batch.completed", "--secret", secret, "--count", "many"])
    assert.strictEqual(run.code, 2, run.stderr)
  })

})

describe("openai-webhooks send, to a receiver that is not running", () => {
  it("exits 1 (unreachable, not a usage mistake) with a hint to start the receiver", async () => {
    const url = `http://127.0.0.1:${await freePort()}/webhooks/openai`
    const run = await cli(["send", "batch.completed", "--url", url, "--secret", secret])
    assert.strictEqual(run.code, 1, run.stderr)
    assert.strictEqual(run.stdout, "")
    const [error, hint, ...rest] = linesOf(run.stderr)
    assert.match(error ?? "", new RegExp(`^error: could not reach ${url.replaceAll(".", "\\.")}: .*ECONNREFUSED`))
    assert.match(hint ?? "", /^hint: is the receiver running\? start it .*openai-webhooks serve/)
    assert.deepStrictEqual(rest, [])
  })
})

describe("openai-webhooks serve, configured", () => {
  it("falls back to PORT, WEBHOOK_PATH and DATABASE_URL when no flag is given", { timeout: 2 * PATIENCE }, async () => {
    const port = await freePort()
    const spawned = spawnGroup(
      ["node", CLI, "serve"],
      envWith({
        OPENAI_WEBHOOK_SECRET: secret,
        HOST: "127.0.0.1",
        PORT: String(port),
        WEBHOOK_PATH: "/hooks/from-env",
        DATABASE_URL: "memory"
      })
    )
    const url = `http://127.0.0.1:${port}/hooks/from-env`
    await spawned.stdout.waitForLine({ message: `listening on ${url}` })
    await spawned.stdout.waitForLine({ message: "inbox: SQLite in memory, inline mode" })
    const run = await cli(["send", "response.completed", "--url", url, "--secret", secret])
    assert.strictEqual(run.code, 0, run.stderr)
    process.kill(-spawned.child.pid!, "SIGTERM")
    assert.deepStrictEqual(await within(spawned.exit, "serve to stop"), { code: 0, signal: null })
  })

  it("exits 2 with an error and a hint on a --port out of range", async () => {
    assertUsageError(
      await cli(["serve", "--port", "99999", "--database", "memory"], { OPENAI_WEBHOOK_SECRET: secret }),
      // Named as the flag that was typed, not as the variable it stands for.
      /^error: --port: .*"99999"/,
      /--port is a port number from 1 to 65535/
    )
  })

  it("exits 2 on a WEBHOOK_MODE that is neither inline nor queued", async () => {
    const run = await cli(["serve", "--database", "memory"], { OPENAI_WEBHOOK_SECRET: secret, WEBHOOK_MODE: "fast" })
    assert.strictEqual(run.code, 2, run.stdout + run.stderr)
    assert.include(run.stdout + run.stderr, "WEBHOOK_MODE")
  })

  it("exits 1 with an error and a hint when the PostgreSQL server does not answer", async () => {
    const url = `postgres://webhooks:pw_Zq81hidden@127.0.0.1:${await freePort()}/webhooks`
    const run = await cli(["serve", "--port", String(await freePort()), "--database", url], {
      OPENAI_WEBHOOK_SECRET: secret,
      HOST: "127.0.0.1"
    })
    assert.strictEqual(run.code, 1, run.stdout + run.stderr)
    const [error, hint, ...rest] = linesOf(run.stderr)
    assert.match(error ?? "", /^error: cannot open PostgreSQL 127\.0\.0\.1:\d+\/webhooks: .*ECONNREFUSED/)
    assert.match(hint ?? "", /^hint: is the server running/)
    assert.deepStrictEqual(rest, [])
    assert.notInclude(run.stdout + run.stderr, "pw_Zq81hidden")
  })
})

describe("openai-webhooks verify, on captured deliveries", () => {
  const directory = mkdtempSync(join(tmpdir(), "cli-verify-"))
  afterAll(() => rmSync(directory, { recursive: true, force: true }))
  let captures = 0

  const event = WebhookTesting.sample("response.completed")
  const now = () => Math.floor(Date.now() / 1000)

  /** Writes a captured request to files: the body as is, the headers as given (text) or as a JSON object. */
  const capture = (body: string, headers: string | Record<string, string | ReadonlyArray<string>>) => {
    const name = join(directory, String(++captures))
    writeFileSync(`${name}.body`, body)
    writeFileSync(`${name}.headers`, typeof headers === "string" ? headers : JSON.stringify(headers))
    return ["--body", `${name}.body`, "--headers", `${name}.headers`]
  }

  /** Secrets and their key material: none may ever be shown. */
  const secrets = [secret, otherSecret, apiKey]
  const assertShowsNoSecret = (run: Run, given: ReadonlyArray<string>) => {
    const hidden = [...secrets, ...given.map((s) => s.trim()).filter((s) => s.length > 0)]
    for (const value of hidden) {
      const parts = value.startsWith("whsec_") ? [value, value.slice("whsec_".length)] : [value]
      for (const part of parts) {
        assert.notInclude(run.stdout, part, "stdout shows a secret")
        assert.notInclude(run.stderr, part, "stderr shows a secret")
      }
    }
  }

  /** `verify` with the secret given by --secret (`flag`) or OPENAI_WEBHOOK_SECRET (`env`). */
  const verify = async (
    files: ReadonlyArray<string>,
    given: { readonly flag?: string; readonly env?: string },
    extra: ReadonlyArray<string> = []
  ) => {
    const run = await cli(
      ["verify", ...files, ...(given.flag === undefined ? [] : ["--secret", given.flag]), ...extra],
      given.env === undefined ? {} : { OPENAI_WEBHOOK_SECRET: given.env }
    )
    assertShowsNoSecret(run, [given.flag, given.env].filter((s) => s !== undefined))
    return run
  }

  /** A verified delivery: exit 0, nothing on stderr, every line ok, `verified` last. */
  const assertVerified = (run: Run) => {
    assert.strictEqual(run.code, 0, run.stdout + run.stderr)
    assert.strictEqual(run.stderr, "")
    const lines = linesOf(run.stdout)
    assert.strictEqual(lines.at(-1), "verified")
    for (const line of lines.slice(0, -1)) assert.match(line, /^ok {3}/)
    return lines
  }

  /** A failed verification: exit 1, `not verified` last, this FAIL line followed by a hint like `hint`. */
  const assertDiagnosis = (run: Run, fail: string | RegExp, hint?: RegExp) => {
    assert.strictEqual(run.code, 1, run.stdout + run.stderr)
    assert.strictEqual(run.stderr, "")
    const lines = linesOf(run.stdout)
    assert.strictEqual(lines.at(-1), "not verified")
    const at = lines.findIndex((line) => typeof fail === "string" ? line === `FAIL ${fail}` : fail.test(line))
    assert.isAtLeast(at, 0, `no FAIL line like ${String(fail)} in:\n${run.stdout}`)
    if (hint !== undefined) {
      assert.match(lines[at + 1] ?? "", /^ {5}hint: /)
      assert.match(lines[at + 1] ?? "", hint)
    }
  }

  const signed = (options: { readonly secret?: string; readonly timestamp?: number; readonly payload?: string } = {}) =>
    WebhookTesting.unsafeSign({
      ...(options.payload === undefined ? { event } : { payload: options.payload }),
      secret: options.secret ?? secret,
      timestamp: options.timestamp ?? now()
    })

  /** `Webhook-Id`, `WEBHOOK-TIMESTAMP`, ...: names in mixed case, as logs and frameworks show them. */
  const mixedCase = (name: string, i: number) =>
    i % 2 === 0
      ? name.toUpperCase()
      : name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase())

  /** `Name: value` lines with CRLF line ends, as a request log shows them. */
  const headerLines = (headers: Record<string, string>) =>
    ["Host: 127.0.0.1:8787", ...Object.entries(headers).map(([name, value], i) => `${mixedCase(name, i)}: ${value}`)]
      .join("\r\n") + "\r\n"

  /** The headers as a JSON object with mixed-case names. */
  const headerObject = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).map(([name, value], i) => [mixedCase(name, i + 1), value]))

  const MAX = WebhookSignature.MAX_SIGNATURES
  const bogus = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="

  describe("a good delivery", () => {
    const cases: ReadonlyArray<[string, (headers: Record<string, string>) => string | Record<string, string>]> = [
      ["as a JSON object", (headers) => headers],
      ["as a JSON object with mixed-case names", headerObject],
      ["as Name: value lines with mixed-case names", headerLines],
      // Pasted from a terminal or a browser's developer tools, as people copy a request.
      ["as a curl command with -H lines", (headers) =>
        `curl 'http://127.0.0.1:8787/webhooks/openai' \\\n${
          Object.entries(headers).map(([name, value], i) => `  ${i % 2 === 0 ? "-H" : "--header"} '${name}: ${value}' \\\n`)
            .join("")
        }  --data-raw '{}'\n`],
      ["as a browser's Copy as fetch", (headers) =>
        `fetch("http://127.0.0.1:8787/webhooks/openai", ${
          JSON.stringify({ headers: headerObject(headers), body: "{}", method: "POST" }, null, 2)
        });\n`],
      ["as a HAR list of { name, value }", (headers) =>
        JSON.stringify(Object.entries(headerObject(headers)).map(([name, value]) => ({ name, value })))]
    ]
    for (const [name, format] of cases) {
      it(`is verified, exit 0, with headers ${name}`, async () => {
        const delivery = signed()
        const lines = assertVerified(await verify(capture(delivery.body, format(delivery.headers)), { flag: secret }))
        assert.include(lines, `ok   headers: webhook-id ${delivery.headers["webhook-id"]}, webhook-timestamp ${
          delivery.headers["webhook-timestamp"]
        }`)
        assert.include(lines, "ok   signature: matches (v1 entry 1 of 1)")
      })
    }

    it("is verified with the secret from OPENAI_WEBHOOK_SECRET", async () => {
      const delivery = signed()
      assertVerified(await verify(capture(delivery.body, delivery.headers), { env: secret }))
    })

    it("is verified with any of several secrets in OPENAI_WEBHOOK_SECRET, naming the one that signed", async () => {
      const delivery = signed()
      const run = await verify(capture(delivery.body, delivery.headers), { env: `${otherSecret},${secret}` })
      const lines = assertVerified(run)
      assert.include(lines, "ok   signature: matches (v1 entry 1 of 1, secret 2 of 2)")
    })

    it("is verified when its signature lacks base64 padding, as the receiver verifies it", async () => {
      const delivery = signed()
      const signature = delivery.headers["webhook-signature"].replace(/=+$/, "")
      const unpadded = { ...delivery.headers, "webhook-signature": signature }
      assertVerified(await verify(capture(delivery.body, unpadded), { flag: secret }))
    })

    it("is verified when webhook-signature came as two header lines, v1 and the MAC", async () => {
      const delivery = signed()
      const { "webhook-signature": signature, ...rest } = delivery.headers
      const [, mac] = signature.split(",")
      const lines = `${headerLines(rest)}webhook-signature: v1\r\nwebhook-signature: ${mac}\r\n`
      assertVerified(await verify(capture(delivery.body, lines), { flag: secret }))
    })

    it("is verified with a secret that lost its = padding, the same key", async () => {
      const delivery = signed()
      assertVerified(await verify(capture(delivery.body, delivery.headers), { flag: secret.replace(/=+$/, "") }))
    })

    it(`is verified with the valid signature as entry ${MAX} of the header`, async () => {
      const delivery = signed()
      const header = [...Array(MAX - 1).fill(bogus), delivery.headers["webhook-signature"]].join(" ")
      const files = capture(delivery.body, { ...delivery.headers, "webhook-signature": header })
      const run = await verify(files, { flag: secret })
      assert.include(assertVerified(run), `ok   signature: matches (v1 entry ${MAX} of ${MAX})`)
    })
  })

  it(`does not verify the valid signature as entry ${MAX + 1}, as the receiver does not, and says why`, async () => {
    const delivery = signed()
    const header = [...Array(MAX).fill(bogus), delivery.headers["webhook-signature"]].join(" ")
    const files = capture(delivery.body, { ...delivery.headers, "webhook-signature": header })
    const run = await verify(files, { flag: secret })
    assertDiagnosis(
      run,
      `signature: v1 entry ${MAX + 1} of ${MAX + 1} matches, but only the first ${MAX} are checked, so the receiver ` +
        "rejects this delivery",
      new RegExp(`the receiver checks at most ${MAX} entries`)
    )
  })

  it("names the skew of a delivery signed 3600 s ago, and that its signature matches", async () => {
    const delivery = signed({ timestamp: now() - 3600 })
    const run = await verify(capture(delivery.body, delivery.headers), { flag: secret })
    assertDiagnosis(run, /^FAIL timestamp: \d+ s old, more than the 300 s tolerance$/, /captured a while ago/)
    const seconds = Number(/timestamp: (\d+) s old/.exec(run.stdout)![1])
    assert.isTrue(seconds >= 3600 && seconds <= 3660, `${seconds} s`)
    assert.include(linesOf(run.stdout), "ok   signature: matches (v1 entry 1 of 1)")
  })

  it("names the skew of a delivery signed 3600 s in the future", async () => {
    const delivery = signed({ timestamp: now() + 3600 })
    const run = await verify(capture(delivery.body, delivery.headers), { flag: secret })
    assertDiagnosis(run, /^FAIL timestamp: \d+ s in the future, more than the 300 s tolerance$/, /clock is behind/)
    const seconds = Number(/timestamp: (\d+) s in the future/.exec(run.stdout)![1])
    assert.isTrue(seconds >= 3540 && seconds <= 3600, `${seconds} s`)
  })

  it("verifies a delivery signed 3600 s ago with --tolerance 4000", async () => {
    const delivery = signed({ timestamp: now() - 3600 })
    const run = await verify(capture(delivery.body, delivery.headers), { flag: secret }, ["--tolerance", "4000"])
    assertVerified(run)
    assert.match(run.stdout, /^ok {3}timestamp: \d+ s old, within 4000 s$/m)
  })

  // A secret the receiver would refuse to start with (exit 2) is the same usage mistake here: exit 2, the flag or the
  // variable named with SecretError's reason and message.
  describe("secrets: parsed as the receiver parses them, refused with SecretError's reason", () => {
    for (const [name, pasted] of [
      ["the delivery's signature", (delivery: WebhookTesting.Signed) => delivery.headers["webhook-signature"]],
      ["the secret behind a v1, prefix", () => `v1,${secret}`]
    ] as const) {
      for (const via of ["flag", "env"] as const) {
        const where = via === "flag" ? "--secret" : "OPENAI_WEBHOOK_SECRET"
        it(`recognises ${name} pasted as the secret (${where})`, async () => {
          const delivery = signed()
          const run = await verify(capture(delivery.body, delivery.headers), { [via]: pasted(delivery) })
          assertUsageError(
            run,
            new RegExp(`^error: ${where} \\(LooksLikeSignature\\): The webhook secret starts with "v1,"`),
            /signing secret/
          )
          assert.notInclude(run.stderr, delivery.headers["webhook-signature"].slice("v1,".length))
        })
      }
    }

    // One final line break is forgiven (what env files and echo add); any other whitespace is a mistake.
    for (const via of ["flag", "env"] as const) {
      const where = via === "flag" ? "--secret" : "OPENAI_WEBHOOK_SECRET"
      it(`forgives a final line break in ${where}`, async () => {
        const delivery = signed()
        assertVerified(await verify(capture(delivery.body, delivery.headers), { [via]: `${secret}\n` }))
      })

      for (const given of [`${secret} `, `\t${secret}\n`]) {
        it(`reports ${JSON.stringify(given.replace(secret, "<secret>"))} in ${where} as Whitespace`, async () => {
          const delivery = signed()
          const run = await verify(capture(delivery.body, delivery.headers), { [via]: given })
          assertUsageError(
            run,
            new RegExp(`^error: ${where} \\(Whitespace\\): The webhook secret has whitespace around it`),
            /would refuse to start/
          )
        })
      }
    }

    it("points out a secret that is not in OpenAI's format, such as an API key", async () => {
      const delivery = signed()
      const run = await verify(capture(delivery.body, delivery.headers), { flag: apiKey })
      assertDiagnosis(
        run,
        "the secret does not start with \"whsec_\": it is not in OpenAI's format",
        /an API key \(sk-\.\.\.\) is not the webhook secret/
      )
    })
  })

  describe("bodies: a re-serialisation is named only when it verifies", () => {
    it("recognises a compact body saved pretty-printed, with the raw-body hint", async () => {
      const delivery = signed()
      const pretty = JSON.stringify(JSON.parse(delivery.body), null, 2)
      const run = await verify(capture(pretty, delivery.headers), { flag: secret })
      assertDiagnosis(
        run,
        "signature: does not match the body file as it is, but matches the same JSON re-serialised compactly " +
          "(JSON.stringify(body))",
        /verify the raw request body, byte for byte/
      )
    })

    it("recognises a delivery signed over a pretty body and saved compact, with the raw-body hint", async () => {
      const delivery = signed({ payload: JSON.stringify(JSON.parse(WebhookTesting.encode(event)), null, 2) })
      const run = await verify(capture(JSON.stringify(JSON.parse(delivery.body)), delivery.headers), { flag: secret })
      assertDiagnosis(
        run,
        "signature: does not match the body file as it is, but matches the same JSON pretty-printed with 2 spaces " +
          "(JSON.stringify(body, null, 2))",
        /verify the raw request body, byte for byte/
      )
    })

    // F2-14: a body in the shape OpenAI's guide shows, byte for byte what was signed, with another secret.
    const guideShaped = "{\n  \"object\": \"event\",\n  \"id\": \"evt_fld00000000000000000000000001\",\n" +
      "  \"type\": \"response.completed\",\n  \"created_at\": 1750287018,\n  \"data\": { \"id\": \"resp_fld123\" }\n}"

    it("blames the secret, not re-serialisation, for a guide-shaped body signed with another secret", async () => {
      const delivery = signed({ payload: guideShaped, secret: otherSecret })
      const run = await verify(capture(delivery.body, delivery.headers), { flag: secret })
      assertDiagnosis(
        run,
        "signature: the v1 entry does not match this body with this secret",
        /signed with a different secret .* or the body is not the one that was sent/
      )
      assert.notMatch(run.stdout, /re-serialised after|express\.json/)
    })

    it("verifies the same guide-shaped body with the secret that signed it", async () => {
      const delivery = signed({ payload: guideShaped, secret: otherSecret })
      assertVerified(await verify(capture(delivery.body, delivery.headers), { flag: otherSecret }))
    })

    it("recognises a body file that gained a final newline", async () => {
      const delivery = signed()
      const run = await verify(capture(`${delivery.body}\n`, delivery.headers), { flag: secret })
      assertDiagnosis(
        run,
        "signature: does not match the body file as it is, but matches it without its final line break",
        /an editor or echo adds a final newline/
      )
    })
  })

  it("names the missing headers", async () => {
    const delivery = signed()
    const run = await verify(capture(delivery.body, { "Webhook-Id": delivery.headers["webhook-id"] }), {
      flag: secret
    })
    assertDiagnosis(run, "missing headers: webhook-timestamp, webhook-signature", /copy every header/)
  })

  it("names the one missing header, given as Name: value lines", async () => {
    const delivery = signed()
    const { "webhook-signature": _, ...headers } = delivery.headers
    const run = await verify(capture(delivery.body, headerLines(headers)), { flag: secret })
    assertDiagnosis(run, "missing header: webhook-signature", /copy every header/)
  })

  it("exits 2 with an error and a hint when no secret is given", async () => {
    const delivery = signed()
    assertUsageError(
      await verify(capture(delivery.body, delivery.headers), {}),
      /^error: no secret: pass --secret or set OPENAI_WEBHOOK_SECRET/,
      /signing secret/
    )
  })

  it("exits 2 with an error and a hint on a headers file that looks like JSON but does not parse", async () => {
    const delivery = signed()
    assertUsageError(
      await verify(capture(delivery.body, "{\"webhook-id\": "), { flag: secret }),
      /^error: --headers \S+: the headers look like JSON but do not parse: /,
      /one Name: value per line, curl -H 'Name: value' lines, or a JSON object/
    )
  })

  it("exits 2 naming the body file when it does not exist", async () => {
    const [, , ...headers] = capture("{}", signed().headers)
    const missing = join(directory, "missing.json")
    const run = await verify(["--body", missing, ...headers], { flag: secret })
    assert.strictEqual(run.code, 2, run.stdout + run.stderr)
    assert.strictEqual(run.stdout, "")
    assert.include(run.stderr, missing)
  })
})
