/**
 * `openai-webhooks verify`: verifies a captured delivery exactly as the receiver would and, when it does
 * not verify, says why. The verdict comes from the library (see ./diagnose.ts); the command reads the
 * files and the secret, prints the checks and fails with `CheckFailed` on "not verified". A secret the receiver
 * would refuse to start with is a usage mistake (exit 2), as it is for the receiver.
 */
import { readFileSync } from "node:fs"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Headers } from "openai-webhooks-engine"
import type { Input, verify } from "./commands.js"
import { diagnose, keysOf, type SecretSource } from "./diagnose.js"
import { CheckFailed, UsageError } from "./errors.js"

/** The file a flag names, or a {@link UsageError} naming the flag and the file. */
const read = (flag: string, path: string) =>
  Effect.try({
    try: () => readFileSync(path),
    catch: (error) =>
      new UsageError({
        message: `--${flag} ${path}: ${
          (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message
        }`,
        hint: `--${flag} takes the path of a file holding the request's ${flag === "body" ? "raw body" : "headers"}`
      })
  })

/**
 * `--secret` is one secret; without it, `OPENAI_WEBHOOK_SECRET` is the list the receiver reads. Each value
 * remembers where it came from, since the two are parsed as `WebhookSecret.layer` and `layerConfig` parse them.
 */
const secretOf = (flag: string | undefined) =>
  flag !== undefined
    ? Effect.succeed(Option.some<SecretSource>({ from: "flag", value: flag }))
    : Effect.map(
      Config.option(Config.Redacted("OPENAI_WEBHOOK_SECRET")),
      Option.map((value): SecretSource => ({ from: "env", value: Redacted.value(value) }))
    ).pipe(Effect.orElseSucceed(() => Option.none<SecretSource>()))

export const run = (flags: Input<typeof verify>) =>
  Effect.gen(function*() {
    const body = yield* read("body", flags.body)
    const headersText = (yield* read("headers", flags.headers)).toString("utf8")
    const parsed = Headers.parse(headersText)
    if (!parsed.ok) {
      return yield* Effect.fail(
        new UsageError({
          message: `--headers ${flags.headers}: ${parsed.error.message}`,
          hint: "one Name: value per line, curl -H 'Name: value' lines, or a JSON object (as browsers copy it)"
        })
      )
    }
    const secret = yield* secretOf(flags.secret)
    if (Option.isNone(secret)) {
      return yield* Effect.fail(
        new UsageError({
          message: "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET",
          hint: "use the endpoint's signing secret (whsec_...); the receiver prints its development secret at start " +
            "(npx openai-webhooks serve) when OPENAI_WEBHOOK_SECRET is unset"
        })
      )
    }
    if (flags.tolerance < 0) {
      return yield* Effect.fail(
        new UsageError({ message: "--tolerance must not be negative", hint: "e.g. --tolerance 300" })
      )
    }
    // A secret the receiver cannot decode keeps it from starting (exit 2): the same mistake here, named as such.
    const keys = keysOf(secret.value)
    if (Result.isFailure(keys)) {
      const where = secret.value.from === "flag" ? "--secret" : "OPENAI_WEBHOOK_SECRET"
      return yield* Effect.fail(
        new UsageError({
          message: `${where} (${keys.failure.reason}): ${keys.failure.message}`,
          hint: "pass the endpoint's signing secret, whsec_... as OpenAI shows it: the receiver would refuse to " +
            "start with this one"
        })
      )
    }
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const report = diagnose({
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      headers: parsed.value,
      secret: secret.value,
      now,
      tolerance: flags.tolerance
    })
    for (const check of report.checks) {
      yield* Console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`)
      if (!check.ok && check.hint !== undefined) yield* Console.log(`     hint: ${check.hint}`)
    }
    yield* Console.log(report.verified ? "verified" : "not verified")
    if (!report.verified) return yield* Effect.fail(new CheckFailed({ message: "not verified" }))
  })
