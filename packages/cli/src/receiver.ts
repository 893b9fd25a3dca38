#!/usr/bin/env node
/**
 * `npm start`: receive OpenAI webhooks on http://$HOST:$PORT/webhooks/openai (see README, Configuration): every
 * interface with a webhook secret, loopback without one (development).
 * A failure to start prints `error:` and `hint:` lines and exits 1 or 2 (see `./receiver/errors.ts`).
 */
import * as Floor from "./floor.js"
import { run } from "./main.js"
import * as ReceiverError from "./receiver/errors.js"
import * as Receiver from "./receiver/main.js"

// Ctrl-C in a terminal, or a SIGTERM to `npm start`'s process group, reaches npm and us together, and
// npm forwards its copy: the first signal starts the graceful shutdown (runMain below); copies arriving
// within a second are ignored rather than killing us mid-shutdown; a later one forces the exit (130), unless the
// server has already logged `stopped`: then only the store is left to close, and the exit stays the clean one.
let firstSignal: number | undefined
const onSignal = () => {
  const now = Date.now()
  if (firstSignal === undefined) firstSignal = now
  else if (now - firstSignal > 1000 && !Receiver.hasStopped()) process.exit(130)
}
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

Floor.check("the receiver")
run(Receiver.run, ReceiverError.ending)
