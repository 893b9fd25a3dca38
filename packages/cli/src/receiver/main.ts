/**
 * The whole receiver, as `npm start` and `openai-webhooks serve` run it: settings read once, then the
 * server with the secret and the inbox, logging in logfmt at `LOG_LEVEL`.
 */
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { loadWith, type ReceiverConfig } from "./config.js"
import * as Env from "./env.js"
import type { ReceiverError } from "./errors.js"
import * as ReceiverLogger from "./logger.js"
import { InboxLive, ServerLive } from "./server.js"

export { hasStopped } from "./server.js"
import { SecretLive } from "./secret.js"

/**
 * The receiver on `settings`: runs until interrupted (SIGINT, SIGTERM), then stops gracefully. The inbox is
 * built before the secret, so that a missing driver or an unreachable database is said alone, not after
 * the development secret's banner.
 */
export const MainLive = (settings: ReceiverConfig): Layer.Layer<never, ReceiverError> =>
  ServerLive(settings).pipe(Layer.provide(SecretLive(settings).pipe(Layer.provideMerge(InboxLive(settings)))))

/**
 * Reads the settings from the environment (or the current `ConfigProvider`) and runs the receiver. `flags` are the
 * variables `serve` was given as flags, named as those flags in a refusal.
 */
export const runWith = (flags: ReadonlySet<string>): Effect.Effect<never, ReceiverError> =>
  Effect.flatMap(
    loadWith(flags),
    (settings) => Layer.launch(MainLive(settings)).pipe(Effect.provide(ReceiverLogger.layerLevel(settings.logLevel)))
  )

/** {@link runWith} without flags, on the process's environment (`Env.environment`): what `npm start` runs. */
export const run: Effect.Effect<never, ReceiverError> = runWith(new Set()).pipe(
  Effect.provideService(ConfigProvider.ConfigProvider, Env.environment())
)
