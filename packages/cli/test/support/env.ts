/**
 * Settings from a test's own variables, and nothing of this process's environment: read as the receiver reads the
 * environment (`Env.environment`), empty values kept, so that the receiver's rule for them is what decides.
 */
import { ConfigProvider, Effect } from "effect"

/** A provider of exactly `variables`. */
export const providerOf = (variables: Readonly<Record<string, string>>): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromEnv({ env: { ...variables }, preserveEmptyStrings: true })

/** `effect`, reading its settings from `variables`. */
export const withVariables = (variables: Readonly<Record<string, string>>) => <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.provideService(effect, ConfigProvider.ConfigProvider, providerOf(variables))
