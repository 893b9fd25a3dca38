#!/usr/bin/env node
/**
 * `openai-webhooks`: run the receiver, send signed test events, explain failed verifications,
 * generate secrets, list event types, read and operate the receiver's inbox, manage endpoints through OpenAI's API.
 *
 * The commands and their flags are `./cli/commands.ts`, read by `./cli/args.ts`; one module per command under
 * `./cli/`, loaded only when it runs, so that each command loads what it needs and nothing more (`--help`,
 * `secret` and `events` load no Effect at all). How a command ends and its exit code are decided in
 * `./cli/run.ts`, from the errors of `./cli/errors.ts`:
 *
 * - `UsageError` (a mistake in the command line too), `Unreachable` and `Refused`: `error:` and `hint:` lines on
 *   stderr; exit 2, 1 and 1.
 * - `CheckFailed`: the command has printed its verdict; exit 1.
 * - anything else is a bug: the whole cause, exit 1.
 */
import { readFileSync } from "node:fs"
import * as Args from "./cli/args.js"
import { root } from "./cli/commands.js"

const PROGRAM = "openai-webhooks"

type Run = (input: any) => unknown

/** The module that runs each command, by its path: imported only when that command runs. */
const modules: Record<string, () => Promise<Run>> = {
  serve: () => import("./cli/serve.js").then((module) => module.run),
  send: () => import("./cli/send.js").then((module) => module.run),
  verify: () => import("./cli/verify.js").then((module) => module.run),
  secret: () => import("./cli/secret.js").then((module) => module.run),
  events: () => import("./cli/events.js").then((module) => module.run),
  "inbox list": () => import("./cli/inbox.js").then((module) => module.list),
  "inbox show": () => import("./cli/inbox.js").then((module) => module.show),
  "inbox replay": () => import("./cli/inbox.js").then((module) => module.replay),
  "inbox recover": () => import("./cli/inbox.js").then((module) => module.recover),
  "inbox discard": () => import("./cli/inbox.js").then((module) => module.discard),
  "inbox stats": () => import("./cli/inbox.js").then((module) => module.stats),
  "endpoints list": () => import("./cli/endpoints.js").then((module) => module.list),
  "endpoints get": () => import("./cli/endpoints.js").then((module) => module.get),
  "endpoints create": () => import("./cli/endpoints.js").then((module) => module.create),
  "endpoints update": () => import("./cli/endpoints.js").then((module) => module.update),
  "endpoints delete": () => import("./cli/endpoints.js").then((module) => module.remove),
  "endpoints rotate": () => import("./cli/endpoints.js").then((module) => module.rotate),
  "endpoints test": () => import("./cli/endpoints.js").then((module) => module.test),
  "event-types": () => import("./cli/event-types.js").then((module) => module.run)
}

// `openai-webhooks events | head`: a closed pipe ends the output, not the process with a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
})

/** The version `--version` prints: the package's own, read from its manifest beside dist/ (or src/). */
const version = (): string => JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version

const parsed = Args.parse(root, process.argv.slice(2), PROGRAM)
switch (parsed._tag) {
  case "Help": {
    const colour = Args.colours(process.stdout, process.env)
    const width = process.stdout.columns ?? 100
    const options = parsed.path.length === 0 ? { colour, width, version: version() } : { colour, width }
    process.stdout.write(Args.help(parsed.node, parsed.path, PROGRAM, options))
    break
  }
  case "Version": {
    process.stdout.write(`${version()}\n`)
    break
  }
  case "Mistake": {
    const { usage } = await import("./cli/run.js")
    usage(parsed.mistake)
    break
  }
  case "Run": {
    const run = await modules[parsed.path.join(" ")]!()
    const outcome = run(parsed.input)
    // `secret` and `events` print and are done; the other commands are Effects, run with the CLI's ending.
    if (Args.isRefusal(outcome)) {
      const { usage } = await import("./cli/run.js")
      usage(outcome.mistake)
    } else if (outcome !== undefined) {
      const { command } = await import("./cli/run.js")
      command(outcome)
    }
  }
}
