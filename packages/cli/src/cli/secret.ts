/** `openai-webhooks secret`: a fresh `whsec_` secret for local testing. */
import { randomBytes } from "node:crypto"
import type { Input } from "./args.js"
import type { secret } from "./commands.js"

/** Prints the secret: no Effect needed, so that the command starts at once. */
export const run = (_: Input<typeof secret>): void => {
  process.stdout.write(`whsec_${randomBytes(32).toString("base64")}\n`)
}
