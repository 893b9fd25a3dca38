/**
 * How both editions' conformance tests judge what one mounting style made of one row of the mounting table
 * (`tables/mounting.ts`): the answer, the delivery's one log line and the handler's runs. Effect-free: each edition
 * gathers them with its own Effect, and the verdict is this one. `expect` is the running edition's vitest (the Effect
 * 4 edition's vitest config points `vitest` at its own).
 */
import { expect } from "vitest"
import type { Level } from "../../src/Reply.js"
import type { Request, Row } from "../tables/mounting.js"

/** What the style answered. */
export interface Answer {
  readonly status: number
  readonly body: string
  readonly headers: Headers
}

/** A line as the edition's test logger recorded it: its message, its level as the edition labels it, its fields. */
export interface Line {
  readonly message: string
  readonly level: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/**
 * Holds a style's answer to `row`'s `request` to the row: the status, JSON body, content type and `allow` header;
 * one line (the outcome, at its level as `levels` labels the engine's, with its `webhook_id`, `event_type` and
 * `reason`); and the handler run once or not at all (`runs`). `where` names the row and the style in every message.
 */
export const expectRow = (
  where: string,
  row: Row,
  request: Request,
  answer: Answer,
  lines: ReadonlyArray<Line>,
  runs: number,
  levels: Readonly<Record<Level, string>>
): void => {
  const { expected } = row
  expect(answer.status, `${where}: status (body ${answer.body})`).toBe(expected.status)
  expect(JSON.parse(answer.body), `${where}: body ${answer.body}`).toEqual(expected.body)
  expect(answer.headers.get("content-type") ?? "", `${where}: content-type`).toMatch(/^application\/json/)
  expect(answer.headers.get("allow"), `${where}: allow`).toBe(expected.allow)
  expect(lines.map((line) => line.message), `${where}: the log line`).toEqual([expected.outcome])
  const [line] = lines as [Line]
  const webhookId = expected.webhookId === "none" ? "none" : (request.headers?.["webhook-id"] ?? "none")
  expect(
    [line.level, line.annotations["webhook_id"], line.annotations["event_type"], line.annotations["reason"]],
    `${where}: the line's level, webhook_id, event_type and reason`
  ).toEqual([levels[expected.level], webhookId, expected.eventType, expected.reason])
  expect(runs, `${where}: handler runs`).toBe(expected.handled ? 1 : 0)
}
