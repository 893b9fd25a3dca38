/**
 * The receiver's settings, from environment variables (see README, Configuration).
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type * as WebhookInbox from "../../WebhookInbox.js"
import * as WebhookHttp from "../../WebhookHttp.js"

export interface ReceiverConfig {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly timeout: Duration.Duration
  readonly maxBodySize: number
  readonly mode: WebhookInbox.Mode
  readonly lease: Duration.Duration
  readonly databaseUrl: string | undefined
  readonly workers: number
}

export const config: Config.Config<ReceiverConfig> = Config.all({
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  port: Config.port("PORT").pipe(Config.withDefault(8787)),
  path: Config.string("WEBHOOK_PATH").pipe(Config.withDefault(WebhookHttp.DEFAULT_PATH)),
  timeout: Config.duration("WEBHOOK_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
  maxBodySize: Config.integer("WEBHOOK_MAX_BODY_SIZE").pipe(Config.withDefault(WebhookHttp.DEFAULT_MAX_BODY_SIZE)),
  mode: Config.literal("inline", "queued")("WEBHOOK_MODE").pipe(Config.withDefault("inline" as const)),
  lease: Config.duration("WEBHOOK_LEASE").pipe(Config.withDefault(Duration.minutes(2))),
  databaseUrl: Config.string("DATABASE_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
  workers: Config.integer("WEBHOOK_WORKERS").pipe(Config.withDefault(4))
})
