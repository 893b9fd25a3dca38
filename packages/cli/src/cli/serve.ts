/** `openai-webhooks serve`: the receiver that `npm start` runs, with flags over its environment variables. */
import { Command, Options } from "@effect/cli"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { FLAGS } from "../receiver/config.js"
import { runWith } from "../receiver/main.js"
import { fromReceiver } from "./errors.js"

/**
 * Each flag is text, checked by the receiver's own rule for the variable it stands for (`../receiver/config.ts`),
 * so that `--port 0x10` is refused as `PORT=0x10` is, and named as `--port`.
 */
const flag = (variable: keyof typeof FLAGS & string, description: string) =>
  Options.text(FLAGS[variable]!.slice(2)).pipe(Options.withDescription(description), Options.optional)

export const command = Command.make(
  "serve",
  {
    host: flag(
      "HOST",
      "The address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface). Default: HOST, else " +
        "0.0.0.0 with a webhook secret and 127.0.0.1 without (development)."
    ),
    port: flag("PORT", "The port, from 1 to 65535. Default: PORT, else 8787."),
    path: flag("WEBHOOK_PATH", "The path deliveries are posted to. Default: WEBHOOK_PATH, else /webhooks/openai."),
    mode: flag("WEBHOOK_MODE", "inline or queued. Default: WEBHOOK_MODE, else inline."),
    database: flag(
      "DATABASE_URL",
      "The inbox's store: sqlite:<path>, memory or postgres://... Default: DATABASE_URL (or the file " +
        "DATABASE_URL_FILE names), else the SQLite file .data/openai-webhooks.sqlite."
    ),
    inspectOnly: Options.boolean("inspect-only").pipe(
      Options.withDescription(
        "Serve only the inspector, on an inbox another application writes: no handler, no workers, no webhook " +
          "path. Default: WEBHOOK_INSPECT_ONLY."
      )
    ),
    takeOver: Options.boolean("take-over").pipe(
      Options.withDescription(
        "Run the example handler and workers on an inbox that holds deliveries this receiver did not record as its " +
          "own (its own, made before 0.4.0). Default: WEBHOOK_TAKE_OVER."
      )
    )
  },
  (flags) => {
    // The flags become the receiver's variables, so that both are read and checked the same way; a refusal names
    // the flag. A flag wins over its variable, and over the variable's `_FILE` form.
    const overrides = new Map<string, string>()
    const given = new Set<string>()
    const set = (variable: string, value: Option.Option<string>) =>
      Option.map(value, (value) => {
        overrides.set(variable, value)
        overrides.set(`${variable}_FILE`, "")
        given.add(variable)
      })
    set("HOST", flags.host)
    set("PORT", flags.port)
    set("WEBHOOK_PATH", flags.path)
    set("WEBHOOK_MODE", flags.mode)
    set("DATABASE_URL", flags.database)
    if (flags.inspectOnly) overrides.set("WEBHOOK_INSPECT_ONLY", "true")
    if (flags.takeOver) overrides.set("WEBHOOK_TAKE_OVER", "true")
    const provider = ConfigProvider.fromMap(overrides).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
    return runWith(given).pipe(
      Effect.withConfigProvider(provider),
      // The receiver's exit codes are the CLI's: 2 for what the user must change, 1 for what failed around it.
      Effect.mapError(fromReceiver)
    )
  }
).pipe(
  Command.withDescription(
    "Run the receiver (what npm start runs), flags over environment variables. It runs until SIGINT or SIGTERM."
  )
)
