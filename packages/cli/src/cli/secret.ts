/** `openai-webhooks secret`: a fresh `whsec_` secret for local testing. */
import { randomBytes } from "node:crypto"
import { Command } from "@effect/cli"
import * as Console from "effect/Console"

export const command = Command.make("secret", {}, () => Console.log(`whsec_${randomBytes(32).toString("base64")}`)).pipe(
  Command.withDescription("Print a new random whsec_ secret (32 bytes) for local testing.")
)
