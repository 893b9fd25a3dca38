import type { RequestListener } from "node:http"
import { Effect } from "effect"
import Fastify, { type FastifyInstance } from "fastify"
import { WebhookHttp, WebhookSecret } from "effect4-openai-webhooks"

// Fastify parses JSON before a route runs. In this plugin's scope every body is left unread, for the
// listener to read the bytes the signature covers; the other routes keep Fastify's parsers.
export const webhooks = (listener: RequestListener) => async (scope: FastifyInstance) => {
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser("*", (_request, _payload, done) => done(null))
  scope.all("/webhooks/openai", (request, reply) => {
    reply.hijack()
    listener(request.raw, reply.raw)
  })
}

export const program = Effect.gen(function*() {
  const listener = yield* WebhookHttp.makeNodeListener({
    handle: (event) => Effect.log(event._tag),
    timeout: "10 seconds"
  })
  const app = Fastify()
  app.register(webhooks(listener))
  return app
}).pipe(Effect.provide(WebhookSecret.layerConfig()))
