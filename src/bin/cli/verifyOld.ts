/**
 * `openai-webhooks verify` as it was before the CLI moved out of one file: kept here unchanged until the
 * rewritten command (`./verify.ts`, whose verdict is `Webhooks.verify`'s) replaces it.
 */
import { readFile } from "node:fs/promises"
import { Command, Options } from "@effect/cli"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { diagnose, parseHeaders } from "../../internal/diagnose.js"
import { split } from "../../internal/secret.js"
import { CheckFailed, UsageError } from "./errors.js"

const secretOption = Options.redacted("secret").pipe(
  Options.withDescription("The signing secret (whsec_...). Default: OPENAI_WEBHOOK_SECRET."),
  Options.optional
)

export const command = Command.make(
  "verify",
  {
    body: Options.file("body").pipe(Options.withDescription("The raw request body, as received.")),
    headers: Options.file("headers").pipe(
      Options.withDescription("The request headers: a JSON object, or Name: value lines as in a request log.")
    ),
    secret: secretOption,
    tolerance: Options.integer("tolerance").pipe(Options.withDefault(300), Options.withDescription("Seconds. Default: 300."))
  },
  (flags) =>
    Effect.gen(function*() {
      const [body, headersText] = yield* Effect.tryPromise({
        try: () => Promise.all([readFile(flags.body), readFile(flags.headers, "utf8")]),
        catch: (error) => new UsageError({ message: `cannot read a file: ${(error as Error).message}`, hint: "check --body and --headers" })
      })
      const headers = yield* Either.match(parseHeaders(headersText), {
        onLeft: (message) => Effect.fail(new UsageError({ message, hint: "one Name: value per line, or a JSON object" })),
        onRight: Effect.succeed
      })
      // --secret is taken as typed (whitespace around it is reported); OPENAI_WEBHOOK_SECRET is read as
      // the receiver reads it: several secrets separated by spaces or commas, any of which may verify.
      const secrets = Option.isSome(flags.secret)
        ? [Redacted.value(flags.secret.value)]
        : split(yield* Config.string("OPENAI_WEBHOOK_SECRET").pipe(Effect.orElseSucceed(() => "")))
      if (secrets.length === 0 || secrets[0] === "") {
        return yield* Effect.fail(
          new UsageError({ message: "no secret: pass --secret or set OPENAI_WEBHOOK_SECRET", hint: "use the endpoint's signing secret (whsec_...)" })
        )
      }
      const now = Math.floor(Date.now() / 1000)
      const reports = secrets.map((secret) => diagnose({ body, headers, secret, now, tolerance: flags.tolerance }))
      const report = reports.find((report) => report.verified) ?? reports[0]!
      if (secrets.length > 1) yield* Console.log(`(${secrets.length} secrets in OPENAI_WEBHOOK_SECRET; showing ${report.verified ? "the one that verifies" : "the first"})`)
      for (const check of report.checks) {
        yield* Console.log(`${check.ok ? "ok  " : "FAIL"} ${check.message}`)
        if (!check.ok && check.hint !== undefined) yield* Console.log(`     hint: ${check.hint}`)
      }
      yield* Console.log(report.verified ? "verified" : "not verified")
      if (!report.verified) return yield* Effect.fail(new CheckFailed({ message: "not verified" }))
    })
).pipe(
  Command.withDescription(
    "Verify a captured delivery like the library does and, when it fails, say why. " +
      "Example: verify --body body.json --headers headers.txt --secret whsec_..."
  )
)
