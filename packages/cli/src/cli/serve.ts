/** `openai-webhooks serve`: the receiver that `npm start` runs, with flags over its environment variables. */
import { Command, Options } from "@effect/cli"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { variables } from "../receiver/config.js"
import { run } from "../receiver/main.js"
import { fromReceiver } from "./errors.js"

export const command = Command.make(
  "serve",
  {
    port: Options.integer("port").pipe(
      Options.withDescription("The port. Default: PORT, else 8787."),
      Options.withFallbackConfig(variables.port),
      Options.optional
    ),
    path: Options.text("path").pipe(
      Options.withDescription("The path deliveries are posted to. Default: WEBHOOK_PATH, else /webhooks/openai."),
      Options.withFallbackConfig(variables.path),
      Options.optional
    ),
    mode: Options.choice("mode", ["inline", "queued"]).pipe(
      Options.withDescription("Default: WEBHOOK_MODE, else inline."),
      Options.withFallbackConfig(variables.mode),
      Options.optional
    ),
    database: Options.text("database").pipe(
      Options.withDescription(
        "The inbox's store: sqlite:<path>, memory or postgres://... Default: DATABASE_URL, else the SQLite file " +
          ".data/openai-webhooks.sqlite."
      ),
      Options.withFallbackConfig(variables.databaseUrl),
      Options.optional
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
    // The flags become the receiver's variables, so that both read and check them the same way.
    const overrides = new Map<string, string>()
    Option.map(flags.port, (port) => overrides.set("PORT", String(port)))
    Option.map(flags.path, (path) => overrides.set("WEBHOOK_PATH", path))
    Option.map(flags.mode, (mode) => overrides.set("WEBHOOK_MODE", mode))
    Option.map(flags.database, (database) => overrides.set("DATABASE_URL", database))
    if (flags.inspectOnly) overrides.set("WEBHOOK_INSPECT_ONLY", "true")
    if (flags.takeOver) overrides.set("WEBHOOK_TAKE_OVER", "true")
    const provider = ConfigProvider.fromMap(overrides).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
    return run.pipe(
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
