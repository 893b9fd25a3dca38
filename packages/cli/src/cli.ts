#!/usr/bin/env node
/**
 * `openai-webhooks`: run the receiver, send signed test events, explain failed verifications,
 * generate secrets, list event types, read and operate the receiver's inbox, manage endpoints through OpenAI's API.
 *
 * The command line is @effect/cli's: the commands and their flags are `./cli/commands.ts`, each command's module
 * under `./cli/` imported only when it runs, so that each command loads what it needs and nothing more. How a
 * command ends and its exit code are decided in `./cli/run.ts`, from the errors of `./cli/errors.ts`:
 *
 * - `UsageError` (@effect/cli's `ValidationError` too: a mistake in the command line), `Unreachable` and `Refused`:
 *   `error:` and `hint:` lines on stderr; exit 2, 1 and 1.
 * - `CheckFailed`: the command has printed its verdict; exit 1.
 * - anything else is a bug: the whole cause, exit 1.
 */
import { readFileSync } from "node:fs"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { root } from "./cli/commands.js"
import { explain, typed } from "./cli/mistakes.js"
import { colours, forCli } from "./cli/output.js"
import { command } from "./cli/run.js"

const PROGRAM = "openai-webhooks"

// `openai-webhooks events | head`: a closed pipe ends the output, not the process with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
})

/** The version `--version` prints: the package's own, read from its manifest beside dist/ (or src/). */
const version: string = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version

const argv = process.argv.slice(2)

const cli = Command.run(root, { name: PROGRAM, version, executable: PROGRAM })

/** What @effect/cli needs: files and paths (for file options), a terminal (for prompts); not the whole platform. */
const environment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

/**
 * "did you mean --url?" for a flag a letter off: @effect/cli corrects only names longer than the limit + 1, so 1 is
 * the limit that reaches --url (not --id, too short to correct).
 */
const config = CliConfig.make({ autoCorrectLimit: 1, showBuiltIns: false })

command(
  Effect.consoleWith((console) =>
    cli(process.argv).pipe(
      Effect.withConsole(forCli(console, [PROGRAM, ...typed(argv)].join(" "), colours(process.stdout, process.env))),
      Effect.catchIf(
        ValidationError.isValidationError,
        (error) => Effect.flatMap(explain(error, PROGRAM, argv, config), Effect.fail)
      ),
      Effect.provide(Layer.merge(environment, CliConfig.layer(config)))
    )
  )
)
