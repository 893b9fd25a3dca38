#!/usr/bin/env node
/**
 * `openai-webhooks`: run the receiver, send signed test events, explain failed verifications,
 * generate secrets, list event types. One file per command under `./cli/`.
 */
import { Command, ValidationError } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { command as events } from "./cli/events.js"
import { command as secret } from "./cli/secret.js"
import { command as send } from "./cli/send.js"
import { command as serve } from "./cli/serve.js"
import { UsageError } from "./cli/errors.js"
import { command as verify } from "./cli/verifyOld.js"

const root = Command.make("openai-webhooks").pipe(
  Command.withDescription("Receive, send and debug OpenAI webhooks."),
  Command.withSubcommands([serve, send, verify, secret, events])
)

const cli = Command.run(root, { name: "openai-webhooks", version: "0.1.0" })

// `openai-webhooks events | head`: a closed pipe ends the output, not the process with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0)
})

cli(process.argv).pipe(
  Effect.catchAll((error) =>
    Effect.gen(function*() {
      if (error instanceof UsageError) {
        yield* Console.error(`error: ${error.message}`)
        yield* Console.error(`hint: ${error.hint}`)
      } else if (!ValidationError.isValidationError(error)) {
        yield* Console.error(`error: ${String(error)}`)
      }
      // @effect/cli has printed the help for a validation error already.
      process.exitCode = 2
    })
  ),
  Effect.provide(NodeContext.layer),
  (main) => NodeRuntime.runMain(main, { disablePrettyLogger: true })
)
