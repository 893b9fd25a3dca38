/**
 * The `openai-webhooks` command line (started by `../cli.ts`): run the receiver, send signed test events, explain
 * failed verifications, generate secrets, list event types, read and operate the receiver's inbox, manage endpoints
 * through OpenAI's API.
 *
 * The command line is @effect/cli's: the commands and their flags are `./commands.ts`, each command's module
 * in this folder imported only when it runs, so that each command loads what it needs and nothing more. How a
 * command ends and its exit code are decided in `./run.ts`, from the errors of `./errors.ts`:
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
import { root } from "./commands.js"
import { explain, typed } from "./mistakes.js"
import { colours, forCli } from "./output.js"
import { command } from "./run.js"

const PROGRAM = "openai-webhooks"

/** The version `--version` prints: the package's own, read from its manifest beside dist/ (or src/). */
const version: string = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version

const cli = Command.run(root, { name: PROGRAM, version, executable: PROGRAM })

/** What @effect/cli needs: files and paths (for file options), a terminal (for prompts); not the whole platform. */
const environment = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

/**
 * "did you mean --url?" for a flag a letter off: @effect/cli corrects only names longer than the limit + 1, so 1 is
 * the limit that reaches --url (not --id, too short to correct).
 */
const config = CliConfig.make({ autoCorrectLimit: 1, showBuiltIns: false })

/**
 * The command line `argv` (what follows the program's name) run to its end: @effect/cli parses it and runs the
 * command, or prints the help (in colour when `colour`); a mistake in it fails as a `UsageError`.
 */
export const commandLine = (argv: ReadonlyArray<string>, colour: boolean) =>
  Effect.consoleWith((console) =>
    cli([process.argv0, PROGRAM, ...argv]).pipe(
      Effect.withConsole(forCli(console, [PROGRAM, ...typed(argv)].join(" "), colour)),
      Effect.catchIf(
        ValidationError.isValidationError,
        (error) => Effect.flatMap(explain(error, PROGRAM, argv, config), Effect.fail)
      ),
      Effect.provide(Layer.merge(environment, CliConfig.layer(config)))
    )
  )

/** Runs `process.argv` and exits as `./run.ts` says. */
export const main = (): void => {
  // `openai-webhooks events | head`: a closed pipe ends the output, not the process with a stack trace.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0)
  })
  command(commandLine(process.argv.slice(2), colours(process.stdout, process.env)))
}
