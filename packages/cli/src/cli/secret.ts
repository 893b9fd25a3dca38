/** `openai-webhooks secret`: a fresh `whsec_` secret for local testing. */
import { randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"

/** Prints the secret. */
export const run = (): Effect.Effect<void> =>
  Effect.sync(() => process.stdout.write(`whsec_${randomBytes(32).toString("base64")}\n`))
