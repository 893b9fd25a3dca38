import { NodeSdk } from "@effect/opentelemetry"
import { BatchSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base"

// npm install @effect/opentelemetry@^0.64.1 @opentelemetry/api@~1.9.0 @opentelemetry/sdk-trace-base@^2.0.0 \
//   @opentelemetry/sdk-trace-node@^2.0.0 @opentelemetry/resources@^2.0.0 @opentelemetry/semantic-conventions@^1.33.0
// Provided to the app (AppLive.pipe(Layer.provide(TracingLive(exporter)))), with the exporter of your backend
// (new OTLPTraceExporter() from @opentelemetry/exporter-trace-otlp-http, say): every delivery is an `openai.webhook`
// server span, every worker attempt an `openai.webhook` consumer span linked to it, the handler's spans under it.
export const TracingLive = (exporter: SpanExporter) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "openai-webhooks" },
    spanProcessor: new BatchSpanProcessor(exporter)
  }))
