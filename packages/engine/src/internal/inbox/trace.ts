/**
 * The column of the trace context a queued delivery keeps (`TraceContext`): the W3C `traceparent` of the request
 * that queued it, stored with its row (migration 6), so that each worker attempt, in any process and after any
 * restart, can link its span to that request's.
 *
 * @internal
 */
import type { Migration } from "../../InboxSql.js"
import * as shared from "./shared.js"

/** The migration that adds the column: its id. */
export const TRACE_MIGRATION = 6

export const migration: Migration = {
  id: TRACE_MIGRATION,
  name: "trace_context",
  statements: [`ALTER TABLE ${shared.DELIVERIES} ADD COLUMN traceparent TEXT`]
}
