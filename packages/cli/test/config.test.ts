/**
 * The receiver's settings (`src/receiver/config.ts`): one rule for every variable (empty is unset; whole numbers in
 * decimal digits within stated bounds; secrets from `<NAME>_FILE`), the development secret only where no real
 * sender can reach it, and `serve`'s flags named as flags. In-process through `loadWith`, then as a user meets it:
 * the built receiver and command, exiting 2 with `error:` and `hint:` lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Result, Layer, Option, Redacted } from "effect"
import { WebhookSecret, WebhookTesting } from "effect4-openai-webhooks"
import { loadWith, type ReceiverConfig, variables as commandVariables } from "../src/receiver/config.js"
import type { InvalidConfig, InvalidSecret } from "../src/receiver/errors.js"
import { SecretLive } from "../src/receiver/secret.js"
import {
  assertExplained,
  build,
  freePort,
  killGroups,
  PATIENCE,
  runToEnd,
  spawnGroup,
  within
} from "../../engine/test/support/process.js"
import { CLI, RECEIVER } from "./support/apps.js"
import { withVariables } from "./support/env.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

afterEach(killGroups)

const folder = mkdtempSync(join(tmpdir(), "receiver-config-"))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** A real file holding `contents`, as Docker and Kubernetes mount a secret. */
const file = (name: string, contents: string): string => {
  const path = join(folder, name)
  writeFileSync(path, contents)
  return path
}

/** The settings `variables` give (and nothing else of this process's environment), flags as `serve` passes them. */
const load = (variables: Record<string, string>, flags: ReadonlyArray<string> = []) =>
  Effect.runSync(Effect.result(
    loadWith(new Set(flags)).pipe(withVariables(variables))
  ))

/** The secret and token layer on `settings`: where the secret's value is decoded. */
const secretOf = (settings: ReceiverConfig) =>
  Effect.runSync(Effect.result(Effect.scoped(Layer.build(SecretLive(settings)))))

const loaded = (variables: Record<string, string>): ReceiverConfig => {
  const result = load(variables)
  if (Result.isFailure(result)) throw new Error(`${result.failure.message}\n${result.failure.hint}`)
  return result.success
}

/** Refused naming `variable` (or its flag) in the `error:` line and the `hint:` line alike. */
const assertRefused = (error: InvalidConfig | InvalidSecret, variable: string) => {
  assert.match(error.message, new RegExp(`^${variable}: `), error.message)
  assert.include(error.hint, variable)
}

// The values every variable is tried with: empty, zero, negative, huge, and numbers not in decimal digits.
const VALUES = {
  empty: "",
  zero: "0",
  negative: "-1",
  huge: "100000000000000000",
  exponent: "1e17",
  hex: "0x10",
  fraction: "1.5"
} as const
type Kind = keyof typeof VALUES

/**
 * Every variable the receiver reads, and what it makes of each value: empty is always the default; a value is
 * refused unless the row lists it as accepted (a meaning it really has for that variable).
 */
const variables: ReadonlyArray<{
  readonly name: string
  readonly accepted?: ReadonlyArray<Kind>
  /** A credential: empty is refused, since unset means less protection (a failed substitution, most often). */
  readonly credential?: true
}> = [
  { name: "PORT" },
  // A host name made of letters and digits is looked up when listening (exit 1 when it is not this machine's).
  { name: "HOST", accepted: ["exponent", "hex"] },
  { name: "WEBHOOK_PATH" },
  { name: "WEBHOOK_TIMEOUT" },
  { name: "WEBHOOK_MAX_BODY_SIZE" },
  { name: "WEBHOOK_MODE" },
  { name: "WEBHOOK_LEASE" },
  { name: "WEBHOOK_WORKERS" },
  { name: "WEBHOOK_HEADERS_TIMEOUT" },
  { name: "WEBHOOK_REQUEST_TIMEOUT" },
  { name: "WEBHOOK_KEEP_ALIVE_TIMEOUT" },
  { name: "WEBHOOK_MAX_CONNECTIONS" },
  // 0 is off, as documented.
  { name: "WEBHOOK_METRICS", accepted: ["zero"] },
  // 18 visible characters: a token long enough.
  { name: "WEBHOOK_METRICS_TOKEN", accepted: ["huge"], credential: true },
  { name: "WEBHOOK_INSPECTOR_TOKEN", accepted: ["huge"], credential: true },
  { name: "DATABASE_URL" },
  { name: "LOG_LEVEL" },
  // Paths of files that do not exist.
  { name: "OPENAI_WEBHOOK_SECRET_FILE", credential: true },
  { name: "DATABASE_URL_FILE" },
  { name: "WEBHOOK_METRICS_TOKEN_FILE", credential: true },
  { name: "WEBHOOK_INSPECTOR_TOKEN_FILE", credential: true }
]

describe("the receiver's settings, every variable by one rule", () => {
  // A secret is set, so that no value is refused for being a development run off loopback.
  const base = { OPENAI_WEBHOOK_SECRET: secret }
  const defaults = JSON.stringify(loaded(base))

  for (const { accepted = [], credential, name } of variables) {
    for (const [kind, value] of Object.entries(VALUES) as ReadonlyArray<[Kind, string]>) {
      const expected = kind === "empty"
        ? credential ? "refused" : "the default"
        : accepted.includes(kind)
        ? "accepted"
        : "refused"
      it(`${name}=${JSON.stringify(value)} (${kind}): ${expected}`, () => {
        // OPENAI_WEBHOOK_SECRET_FILE is tried alone: with the variable too, every value would be a conflict.
        const result = load(name === "OPENAI_WEBHOOK_SECRET_FILE" ? { [name]: value } : { ...base, [name]: value })
        if (expected === "refused") {
          assert.isTrue(Result.isFailure(result), `${name}=${value} was accepted`)
          if (Result.isFailure(result)) {
            assert.strictEqual(result.failure._tag, "InvalidConfig")
            assertRefused(result.failure, name)
            // Whole numbers say their bounds.
            if (/^(PORT|WEBHOOK_MAX_BODY_SIZE|WEBHOOK_WORKERS|WEBHOOK_MAX_CONNECTIONS)$/.test(name)) {
              assert.match(result.failure.message, /Expected a whole number from \d+ to \d+/)
              assert.match(result.failure.hint, /from \d+ to \d+, in decimal digits/)
            }
          }
        } else {
          assert.isTrue(Result.isSuccess(result), Result.isFailure(result) ? result.failure.message : "")
          if (expected === "the default" && Result.isSuccess(result)) {
            assert.strictEqual(JSON.stringify(result.success), defaults)
          }
        }
      })
    }
  }

  // The secret's value is decoded when its layer is built: the same values, the same kind of refusal.
  for (const [kind, value] of Object.entries(VALUES) as ReadonlyArray<[Kind, string]>) {
    const accepted = kind === "huge" // 18 bytes: a key long enough (any string is its UTF-8 bytes)
    const expected = accepted ? "accepted" : "refused"
    it(`OPENAI_WEBHOOK_SECRET=${JSON.stringify(value)} (${kind}): ${expected}`, () => {
      if (kind === "empty") {
        // Not a development run: a substitution that failed, most often, in a deployment that has a secret.
        const result = load({ OPENAI_WEBHOOK_SECRET: value })
        assert.isTrue(Result.isFailure(result))
        if (Result.isFailure(result)) assertRefused(result.failure, "OPENAI_WEBHOOK_SECRET")
        return
      }
      const settings = loaded({ OPENAI_WEBHOOK_SECRET: value })
      const built = secretOf(settings)
      if (accepted) assert.isTrue(Result.isSuccess(built))
      else {
        assert.isTrue(Result.isFailure(built))
        if (Result.isFailure(built)) {
          assert.strictEqual(built.failure._tag, "InvalidSecret")
          assertRefused(built.failure, "OPENAI_WEBHOOK_SECRET")
        }
      }
    })
  }

  it("accepts the values each variable is documented with", () => {
    const settings = loaded({
      ...base,
      PORT: "8080",
      HOST: "::1",
      WEBHOOK_MAX_BODY_SIZE: "2097152",
      WEBHOOK_WORKERS: "0004",
      WEBHOOK_MAX_CONNECTIONS: "1000000",
      WEBHOOK_TIMEOUT: "1 hour",
      WEBHOOK_METRICS: "off",
      LOG_LEVEL: "DEBUG"
    })
    assert.deepStrictEqual(
      [settings.port, settings.host, settings.maxBodySize, settings.workers, settings.maxConnections, settings.metrics],
      [8080, "::1", 2097152, 4, 1_000_000, false]
    )
  })
})

describe("secrets from files (<NAME>_FILE)", () => {
  it("reads each secret variable from the file its _FILE variable names, one final line break dropped", () => {
    const settings = loaded({
      OPENAI_WEBHOOK_SECRET_FILE: file("secret", `${secret}\n`),
      WEBHOOK_INSPECTOR_TOKEN_FILE: file("inspector", "inspector-token-0123456789\n"),
      WEBHOOK_METRICS_TOKEN_FILE: file("metrics", "metrics-token-0123456789\r\n"),
      DATABASE_URL_FILE: file("database", "postgres://webhooks:pw_Zq81hidden@db.example:5432/inbox\n")
    })
    assert.deepStrictEqual(
      Option.map(settings.secret, ({ value, variable }) => [variable, Redacted.value(value)]),
      Option.some(["OPENAI_WEBHOOK_SECRET_FILE", secret])
    )
    assert.deepStrictEqual(
      Option.map(settings.inspectorToken, Redacted.value),
      Option.some("inspector-token-0123456789")
    )
    assert.deepStrictEqual(Option.map(settings.metricsToken, Redacted.value), Option.some("metrics-token-0123456789"))
    assert.strictEqual(settings.database.description, "PostgreSQL db.example:5432/inbox")
    // A secret from a file is configured: every interface, as in a container.
    assert.strictEqual(settings.host, "0.0.0.0")
    assert.isTrue(Result.isSuccess(secretOf(settings)))
  })

  it("refuses a variable and its _FILE both set, an unreadable file and an empty one, never showing contents", () => {
    const hidden = "pw_Zq81hidden"
    const cases: ReadonlyArray<[Record<string, string>, string, RegExp]> = [
      [
        { DATABASE_URL: "memory", DATABASE_URL_FILE: file("db", `postgres://u:${hidden}@h/d`) },
        "DATABASE_URL_FILE",
        /both DATABASE_URL and DATABASE_URL_FILE are set/
      ],
      [{ OPENAI_WEBHOOK_SECRET_FILE: join(folder, "absent") }, "OPENAI_WEBHOOK_SECRET_FILE", /there is no such file/],
      [{ WEBHOOK_INSPECTOR_TOKEN_FILE: folder }, "WEBHOOK_INSPECTOR_TOKEN_FILE", /it is a folder, not a file/],
      [{ WEBHOOK_METRICS_TOKEN_FILE: file("blank", "\n") }, "WEBHOOK_METRICS_TOKEN_FILE", /is empty/],
      // The value from the file is checked as the variable's would be, and the refusal names the file variable.
      [{ WEBHOOK_METRICS_TOKEN_FILE: file("short", `${hidden}\n`) }, "WEBHOOK_METRICS_TOKEN_FILE", /at least 16/],
      [{ DATABASE_URL_FILE: file("mysql", `mysql://root:${hidden}@db/x`) }, "DATABASE_URL_FILE", /names no database/]
    ]
    for (const [variables, variable, message] of cases) {
      const withSecret = "OPENAI_WEBHOOK_SECRET_FILE" in variables ? {} : { OPENAI_WEBHOOK_SECRET: secret }
      const result = load({ ...withSecret, ...variables })
      assert.isTrue(Result.isFailure(result), variable)
      if (Result.isFailure(result)) {
        assertRefused(result.failure, variable)
        assert.match(result.failure.message, message)
        assert.notInclude(result.failure.message + result.failure.hint, hidden)
      }
    }
  })

  it("the inbox commands read DATABASE_URL_FILE as the receiver does (commandVariables.databaseUrl)", () => {
    const url = "postgres://webhooks:pw_Zq81hidden@db.example:5432/inbox"
    const read = (entries: Record<string, string>) =>
      Effect.runSync(Effect.result(
        commandVariables.databaseUrl.pipe(withVariables(entries))
      ))
    assert.deepStrictEqual(read({ DATABASE_URL_FILE: file("inbox-database", `${url}\n`) }), Result.succeed(url))
    assert.deepStrictEqual(read({ DATABASE_URL: "memory" }), Result.succeed("memory"))
    assert.isTrue(Result.isFailure(read({})))
  })

  it("names OPENAI_WEBHOOK_SECRET_FILE when the secret in the file does not decode", () => {
    const built = secretOf(loaded({ OPENAI_WEBHOOK_SECRET_FILE: file("malformed", "whsec_ab!c\n") }))
    assert.isTrue(Result.isFailure(built))
    if (Result.isFailure(built)) assertRefused(built.failure, "OPENAI_WEBHOOK_SECRET_FILE")
  })
})

describe("development: the development secret only where no real sender can reach it", () => {
  it("without a secret listens on 127.0.0.1 by default, with one on every interface; HOST overrides", () => {
    assert.strictEqual(loaded({}).host, "127.0.0.1")
    assert.strictEqual(loaded({ OPENAI_WEBHOOK_SECRET: secret }).host, "0.0.0.0")
    assert.strictEqual(loaded({ OPENAI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1" }).host, "127.0.0.1")
    assert.strictEqual(loaded({ HOST: "localhost" }).host, "localhost")
    assert.strictEqual(loaded({ HOST: "::1" }).host, "::1")
  })

  it("refuses to run without a secret on an address other machines reach, naming HOST or --host", () => {
    for (const host of ["0.0.0.0", "::", "10.1.2.3"]) {
      for (const [flags, named] of [[[], "HOST"], [["HOST"], "--host"]] as const) {
        const result = load({ HOST: host }, flags)
        assert.isTrue(Result.isFailure(result), host)
        if (Result.isFailure(result)) {
          assert.match(result.failure.message, new RegExp(`^no webhook secret is set .*${named} ${host} is not loopback`))
          assert.include(result.failure.hint, "OPENAI_WEBHOOK_SECRET_FILE")
          assert.include(result.failure.hint, `unset ${named}`)
        }
      }
    }
  })

  it("refuses to run without a secret when NODE_ENV is production, even on loopback", () => {
    const result = load({ NODE_ENV: "production", HOST: "127.0.0.1" })
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) assert.match(result.failure.message, /NODE_ENV is production/)
    assert.isTrue(Result.isSuccess(load({ NODE_ENV: "production", OPENAI_WEBHOOK_SECRET: secret })))
    assert.isTrue(Result.isSuccess(load({ NODE_ENV: "development" })))
  })
})

describe("serve's flags", () => {
  it("a flag's bad value is named as the flag, a variable's as the variable", () => {
    for (const [variable, flag, value] of [
      ["DATABASE_URL", "--database", "x"],
      ["PORT", "--port", "0x10"],
      ["WEBHOOK_PATH", "--path", "hooks"],
      ["WEBHOOK_MODE", "--mode", "fast"],
      ["HOST", "--host", "-1"]
    ] as const) {
      const byFlag = load({ OPENAI_WEBHOOK_SECRET: secret, [variable]: value }, [variable])
      assert.isTrue(Result.isFailure(byFlag), flag)
      if (Result.isFailure(byFlag)) {
        assertRefused(byFlag.failure, flag)
        assert.notInclude(byFlag.failure.message + byFlag.failure.hint, variable)
      }
      const byVariable = load({ OPENAI_WEBHOOK_SECRET: secret, [variable]: value })
      if (Result.isFailure(byVariable)) assertRefused(byVariable.failure, variable)
    }
  })
})

describe("the receiver and serve, as started", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  /** This process's environment without the receiver's variables, then `extra`. */
  const envWith = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
    for (const name of Object.keys(env)) {
      if (/^(OPENAI_|WEBHOOK_|DATABASE_URL|HOST$|PORT$|NODE_ENV$|LOG_LEVEL$)/.test(name)) delete env[name]
    }
    return { ...env, DATABASE_URL: "memory", ...extra }
  }

  it("exits 2 with error: and hint: for an unusable value, never a stack trace", async () => {
    for (const [variables, error] of [
      [{ WEBHOOK_MAX_BODY_SIZE: "1e17" }, /^error: WEBHOOK_MAX_BODY_SIZE: Expected a whole number from 1 to /],
      [{ WEBHOOK_MAX_BODY_SIZE: "-1" }, /^error: WEBHOOK_MAX_BODY_SIZE: /],
      [{ WEBHOOK_WORKERS: "0x10" }, /^error: WEBHOOK_WORKERS: .*"0x10"/],
      [{ OPENAI_WEBHOOK_SECRET_FILE: "/run/secrets/absent" }, /OPENAI_WEBHOOK_SECRET_FILE: cannot read \/run\/secrets/],
      [{ HOST: "0.0.0.0" }, /^error: no webhook secret is set .*HOST 0\.0\.0\.0 is not loopback/]
    ] as const) {
      const run = await runToEnd(["node", RECEIVER], envWith({ PORT: String(await freePort()), ...variables }))
      assert.strictEqual(run.stdout, "")
      assertExplained({ ...run, stdout: "" }, 2, error, /^hint: /)
    }
  })

  it("serve --database x names --database, not DATABASE_URL", async () => {
    const run = await runToEnd(
      ["node", CLI, "serve", "--database", "x"],
      envWith({ OPENAI_WEBHOOK_SECRET: secret, PORT: String(await freePort()) })
    )
    assertExplained(run, 2, /^error: --database: /, /^hint: --database is sqlite:<path>/)
    assert.notInclude(run.stderr, "DATABASE_URL")
  })

  it("takes its secret from OPENAI_WEBHOOK_SECRET_FILE, listens where it says (serve --host), exits promptly", {
    timeout: 2 * PATIENCE
  }, async () => {
    const port = await freePort()
    // WEBHOOK_WORKERS='' counts as unset, like every empty variable.
    const spawned = spawnGroup(
      ["node", CLI, "serve", "--host", "127.0.0.1", "--port", String(port)],
      envWith({ OPENAI_WEBHOOK_SECRET_FILE: file("serve-secret", `${secret}\n`), WEBHOOK_WORKERS: "", HOST: "0.0.0.0" })
    )
    const url = `http://127.0.0.1:${port}/webhooks/openai`
    await Promise.race([
      spawned.stdout.waitForLine({ message: `listening on ${url}` }),
      spawned.exit.then(() => {
        throw new Error(`serve exited:\n${spawned.stdout.text}${spawned.stderr.text}`)
      })
    ])
    const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
    const reply = await fetch(url, { method: "POST", headers: signed.headers, body: signed.body })
    assert.strictEqual(reply.status, 200, await reply.text())
    await spawned.stdout.waitForLine({ message: "processed", webhook_id: signed.headers["webhook-id"] })

    // From the line "stopped" to the process's exit: measured, not slept (it took about 2 s once).
    process.kill(-spawned.child.pid!, "SIGTERM")
    const stoppedAt = await spawned.stdout.waitForLine({ message: "stopped" }).then(() => performance.now())
    assert.deepStrictEqual(await within(spawned.exit, "serve to exit"), { code: 0, signal: null })
    const exitedAfter = performance.now() - stoppedAt
    assert.isBelow(exitedAfter, 500, `exited ${exitedAfter.toFixed(0)} ms after logging stopped`)
  })

  it("logs the address it really listens on: 0.0.0.0 is every interface, not 127.0.0.1", {
    timeout: 2 * PATIENCE
  }, async () => {
    const port = await freePort()
    const spawned = spawnGroup(["node", RECEIVER], envWith({ OPENAI_WEBHOOK_SECRET: secret, PORT: String(port) }))
    await spawned.stdout.waitForLine({ message: `listening on http://0.0.0.0:${port}/webhooks/openai` })
    process.kill(-spawned.child.pid!, "SIGTERM")
    assert.deepStrictEqual(await within(spawned.exit, "the receiver to exit"), { code: 0, signal: null })
  })
})

// The library's layer and the receiver read the same variable by the same rule.
it.effect("WebhookSecret.layerConfig() reads the file the receiver reads", () =>
  Effect.gen(function*() {
    const secrets = yield* Effect.service(WebhookSecret.WebhookSecret).pipe(
      Effect.provide(WebhookSecret.layerConfig()),
      withVariables({ OPENAI_WEBHOOK_SECRET_FILE: file("library", `${secret}\n`) })
    )
    assert.strictEqual(secrets.keys.length, 1)
  }))
