#!/usr/bin/env node
/**
 * `openai-webhooks`: run the receiver, send signed test events, explain failed verifications, generate secrets,
 * list event types, read and operate the receiver's inbox, manage endpoints through OpenAI's API. The command line
 * is `./cli/program.ts`.
 *
 * Before it is loaded: on Node 22.1 and later, V8's compiled code of the modules is kept between runs (Node's
 * compile cache, in the system's temporary folder, as TypeScript's `tsc` does), since most of a command's start-up
 * is compiling the modules of effect and effect/cli (bench/cli-startup.ts). Node 20 has no such cache.
 */
import * as module from "node:module"
import * as Floor from "./floor.js"

Floor.check("openai-webhooks")

// Typed by hand: the @types/node of Node 20 does not know it.
;(module as { readonly enableCompileCache?: () => unknown }).enableCompileCache?.()
const { main } = await import("./cli/program.js")
main()
