/**
 * `openai-webhooks verify`: verifies a captured delivery exactly as the receiver would and, when it does
 * not verify, says why. The verdict comes from the library (see ./diagnose.ts); the command reads the
 * files and the secret, prints the checks and fails with `CheckFailed` on "not verified".
 */
import { Command, Options } from "@effect/cli"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Signature } from "openai-webhooks-engine"
import { diagnose, parseHeaders, type SecretSource } from "./diagnose.js"
import { CheckFailed, UsageError } from "./errors.js"

/**
 * `--secret` is one secret; without it, `OPENAI_WEBHOOK_SECRET` is the list the receiver reads. Each value
 * remembers where it came from, since the two are parsed as `WebhookSecret.layer` and `layerConfig` parse them.
 */
const secret = Options.redacted("secret").pipe(
  Options.withDescription(
    "The signing secret (whsec_...). Default: OPENAI_WEBHOOK_SECRET, read as the receiver reads it."
  ),
  Options.map((value) => ({ from: "flag" as const, value })),
  Options.withFallbackConfig(
    Config.redacted("OPENAI_WEBHOOK_SECRET").pipe(Config.map((value) => ({ from: "env" as const, value })))
  ),
  Options.optional
)

export const command = Command.make(
  "verify",
  {
    body: Options.fileContent("body").pipe(Options.withDescription("The raw request body, as received.")),
    headers: Options.fileText("headers").pipe(
      Options.withDescription("The request headers: a JSON object, or Name: value lines as in a request log.")
    ),
    secret,
    tolerance: Options.integer("tolerance").pipe(
      Options.withDefault(Signature.defaultToleranceSeconds),
      Options.withDescription(`Seconds. Default: ${Signature.defaultToleranceSeconds}.`)
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const [, body] = flags.body
      const [, headersText] = flags.headers
      const headers = yield* Either.match(parseHeaders(headersText), {
        onLeft: (message) =>
          Effect.fail(new UsageError({ message, hint: "one Name: value per line, or a JSON object" })),
        onRight: Effect.succeed
      })
      if (Option.isNone(flags.secret)) {
        return yield* Effect.fail(
          new UsageError({
            message: "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET",
            hint: "use the endpoint's signing secret (whsec_...); npm start prints its development secret when " +
              "OPENAI_WEBHOOK_SECRET is unset"
          })
        )
      }
      if (flags.tolerance < 0) {
        return yield* Effect.fail(
          new UsageError({ message: "--tolerance must not be negative", hint: "e.g. --tolerance 300" })
        )
      }
      const source: SecretSource = { from: flags.secret.value.from, value: Redacted.value(flags.secret.value.value) }
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const report = diagnose({ body, headers, secret: source, now, tolerance: flags.tolerance })
      for (const check of report.checks) {
        yield* Console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`)
        if (!check.ok && check.hint !== undefined) yield* Console.log(`     hint: ${check.hint}`)
      }
      yield* Console.log(report.verified ? "verified" : "not verified")
      if (!report.verified) return yield* Effect.fail(new CheckFailed({ message: "not verified" }))
    })
).pipe(
  Command.withDescription(
    "Verify a captured delivery as the receiver would (same secret parsing, tolerance and rules) and, when it " +
      "does not verify, say why. Example: verify --body body.json --headers headers.txt --secret whsec_..."
  )
)
