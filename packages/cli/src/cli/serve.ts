/** `openai-webhooks serve`: the receiver that `npm start` runs, with flags over its environment variables. */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { environment } from "../receiver/env.js"
import { runWith } from "../receiver/main.js"
import type { Input, serve } from "./commands.js"
import { fromReceiver } from "./errors.js"

export const run = (flags: Input<typeof serve>) => {
  // The flags become the receiver's variables, so that both are read and checked the same way (`--port 0x10` is
  // refused as `PORT=0x10` is), and a refusal names the flag. A flag wins over its variable, and over the variable's
  // `_FILE` form.
  const overrides = new Map<string, string>()
  const given = new Set<string>()
  const set = (variable: string, value: string | undefined) => {
    if (value === undefined) return
    overrides.set(variable, value)
    overrides.set(`${variable}_FILE`, "")
    given.add(variable)
  }
  set("HOST", flags.host)
  set("PORT", flags.port)
  set("WEBHOOK_PATH", flags.path)
  set("WEBHOOK_MODE", flags.mode)
  set("DATABASE_URL", flags.database)
  if (flags.inspectOnly) overrides.set("WEBHOOK_INSPECT_ONLY", "true")
  if (flags.takeOver) overrides.set("WEBHOOK_TAKE_OVER", "true")
  return runWith(given).pipe(
    Effect.provideService(ConfigProvider.ConfigProvider, environment(Object.fromEntries(overrides))),
    // The receiver's exit codes are the CLI's: 2 for what the user must change, 1 for what failed around it.
    Effect.mapError(fromReceiver)
  )
}
