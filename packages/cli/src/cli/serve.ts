/** `openai-webhooks serve`: the receiver that `npm start` runs, with flags over its environment variables. */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { run as receiver } from "../receiver/main.js"
import type { Input } from "./args.js"
import type { serve } from "./commands.js"
import { fromReceiver } from "./errors.js"

export const run = (flags: Input<typeof serve>) => {
  // The flags become the receiver's variables, so that both read and check them the same way.
  const overrides = new Map<string, string>()
  if (flags.port !== undefined) overrides.set("PORT", String(flags.port))
  if (flags.path !== undefined) overrides.set("WEBHOOK_PATH", flags.path)
  if (flags.mode !== undefined) overrides.set("WEBHOOK_MODE", flags.mode)
  if (flags.database !== undefined) overrides.set("DATABASE_URL", flags.database)
  const provider = ConfigProvider.fromMap(overrides).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
  return receiver.pipe(
    Effect.withConfigProvider(provider),
    // The receiver's exit codes are the CLI's: 2 for what the user must change, 1 for what failed around it.
    Effect.mapError(fromReceiver)
  )
}
