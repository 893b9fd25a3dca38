import type { RequestListener } from "node:http"
import { Effect } from "effect"
import express from "express"
import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"

// The webhook route takes the raw body: express.raw() leaves its bytes in req.body, express.text() (as in
// OpenAI's guide) their UTF-8 text; the listener verifies either. Mount it before express.json(): a body
// parsed into an object has lost the bytes the signature covers, and is answered 500 with a line saying so.
// The parser's limit is the listener's (1 MiB by default), so that the listener's 413 is the one that applies.
export const makeApp = (
  listener: RequestListener,
  bodyParser: express.RequestHandler = express.raw({ type: "application/json", limit: "1mb" })
) => {
  const app = express()
  app.all("/webhooks/openai", bodyParser, listener)
  app.use(express.json()) // the rest of your API
  return app
}

export const program = Effect.gen(function*() {
  const listener = yield* WebhookHttp.makeNodeListener({
    handle: (event) => Effect.log(event._tag),
    timeout: "10 seconds"
  })
  return makeApp(listener) // or makeApp(listener, express.text({ type: "application/json", limit: "1mb" }))
}).pipe(Effect.provide(WebhookSecret.layerConfig()))
