#!/usr/bin/env node
/**
 * `openai-webhooks`: run the receiver, send signed test events, explain failed verifications,
 * generate secrets, list event types, read and operate the receiver's inbox, manage endpoints through OpenAI's API.
 * One file per command under
 * `./cli/`; how a command ends and its exit code are decided here, from the errors of `./cli/errors.ts`:
 *
 * - `UsageError`, `Unreachable` and `Refused`: `error:` and `hint:` lines on stderr; exit 2, 1 and 1.
 * - `CheckFailed`: the command has printed its verdict; exit 1.
 * - @effect/cli's `ValidationError` (an unknown flag, a value of the wrong type): it has printed the help; exit 2.
 * - anything else is a bug: the whole cause, exit 1.
 */
import { readFileSync } from "node:fs"
import { Command, ValidationError } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import { command as endpoints } from "./cli/endpoints.js"
import { CheckFailed, type CliError, exitCode, Refused, Unreachable, UsageError } from "./cli/errors.js"
import { command as eventTypes } from "./cli/event-types.js"
import { command as events } from "./cli/events.js"
import { command as inbox } from "./cli/inbox.js"
import { command as secret } from "./cli/secret.js"
import { command as send } from "./cli/send.js"
import { command as serve } from "./cli/serve.js"
import { command as verify } from "./cli/verify.js"
import { type Ending, explain, run } from "./main.js"

const root = Command.make("openai-webhooks").pipe(
  Command.withDescription("Receive, send and debug OpenAI webhooks, operate the inbox, and manage endpoints."),
  Command.withSubcommands([serve, send, verify, secret, events, inbox, endpoints, eventTypes])
)

/** The version `--version` prints: the package's own, read from its manifest beside dist/ (or src/). */
const version: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version

const cli = Command.run(root, { name: "openai-webhooks", version })

const isCliError = (u: unknown): u is CliError =>
  u instanceof UsageError || u instanceof Unreachable || u instanceof Refused || u instanceof CheckFailed

/** How a command ends: see the list above. */
const ending: Ending = {
  render: (failure) =>
    failure instanceof UsageError || failure instanceof Unreachable || failure instanceof Refused
      ? explain(failure)
      : isCliError(failure) || ValidationError.isValidationError(failure)
      ? ""
      : undefined,
  exitCode: (failure) => isCliError(failure) ? exitCode(failure) : 2
}

// `openai-webhooks events | head`: a closed pipe ends the output, not the process with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
})

run(Effect.provide(cli(process.argv), NodeContext.layer), ending)
