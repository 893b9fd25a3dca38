/**
 * The receiver's servers of the repository's bench/http.ts and bench/inbox.ts, in their own process:
 * `tsx packages/cli/bench/http-server.ts <kind> <port>` (here, so that `effect` resolves to this package's 4). Prints
 * "ready" on stderr once it listens. Both answer a valid delivery 200 and a bad one 401, logging one logfmt line per
 * delivery (to stdout, which the bench discards), as `npm start` does.
 *
 * - listener: what `npm start` runs without an inbox (`WebhookHttp.makeNodeListener` on node:http, the receiver's
 *   limits, /healthz, /metrics);
 * - receiver: `npm start` itself, inbox included: DATABASE_URL and WEBHOOK_MODE come from the environment.
 *
 * A tree from before the applications moved to Effect 4 has these kinds in its own bench/http-server.ts (the Effect 3
 * receiver): bench/lib.ts picks whichever file a tree has, so that one run compares the two.
 */
import { Effect, Layer } from "effect"
import { WebhookSecret } from "effect4-openai-webhooks"
import { SECRET } from "../../../bench/by-hand.js"
import { load } from "../src/receiver/config.js"
import * as ReceiverLogger from "../src/receiver/logger.js"
import { InboxLive, ServerLive } from "../src/receiver/server.js"

const [kind = "receiver", portArg = "8788"] = process.argv.slice(2)
// The receiver reads its address from the environment, as npm start does.
process.env["PORT"] = portArg
process.env["HOST"] = "127.0.0.1"
// Exit cleanly on SIGTERM, so that node --cpu-prof writes its profile.
process.once("SIGTERM", () => process.exit(0))

const SecretLive = WebhookSecret.layer(SECRET)
const ready = Layer.effectDiscard(Effect.sync(() => process.stderr.write("ready\n")))

const server = (inbox: boolean) =>
  Layer.unwrap(Effect.map(load, (settings) =>
    inbox
      ? ServerLive(settings).pipe(Layer.provide(Layer.merge(SecretLive, InboxLive(settings))))
      : ServerLive(settings).pipe(Layer.provide(SecretLive))))

if (kind !== "listener" && kind !== "receiver") throw new Error(`unknown server kind: ${kind}`)
Layer.launch(server(kind === "receiver").pipe(Layer.provideMerge(ready))).pipe(
  Effect.provide(ReceiverLogger.layer),
  Effect.runFork
)
