/**
 * The inbox's statements run as they are, with no Effect: SQLite's on a file through better-sqlite3, PostgreSQL's
 * through `pg` on the server `DATABASE_URL` names (skipped, saying so, outside CI without one), each scenario of
 * `tables/inbox-sql.ts` on an empty store the dialect's migrations made.
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { InboxSql } from "openai-webhooks-engine"
import pg from "pg"
import { afterAll, describe, expect, it } from "vitest"
import {
  type AttemptRow,
  type DeliveryRow,
  expected,
  ids,
  LEASE,
  normal,
  ROWS,
  scenarios,
  type Step,
  T
} from "./tables/inbox-sql.js"
import { STATS_GROUPS, stats as statsOf } from "../src/internal/inbox/shared.js"

/** A database the statements run on: `all` answers a statement's rows, `transaction` runs `f` in one. */
interface Driver {
  readonly dialect: InboxSql.Dialect
  readonly all: (text: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<InboxSql.SqlRow>>
  readonly transaction: <A>(f: () => Promise<A>) => Promise<A>
}

interface Engine {
  readonly name: string
  readonly skip: boolean
  /** A driver on an empty database of its own. */
  readonly open: () => Promise<Driver>
}

const directory = mkdtempSync(join(tmpdir(), "inbox-sql-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const sqliteFile = () => join(directory, `${randomBytes(6).toString("hex")}.sqlite`)

const sqliteDriver = (db: Database.Database): Driver => ({
  dialect: InboxSql.sqlite,
  all: async (text, params = []) => {
    const statement = db.prepare(text)
    if (statement.reader) return statement.all(...params) as ReadonlyArray<InboxSql.SqlRow>
    statement.run(...params)
    return []
  },
  transaction: async (f) => {
    db.exec("BEGIN")
    try {
      const result = await f()
      db.exec("COMMIT")
      return result
    } catch (error) {
      db.exec("ROLLBACK")
      throw error
    }
  }
})

const sqlite: Engine = {
  name: "SQLite",
  skip: false,
  open: async () => {
    const db = new Database(sqliteFile())
    db.pragma("journal_mode = WAL")
    afterAll(() => db.close())
    return sqliteDriver(db)
  }
}

const databaseUrl = process.env["DATABASE_URL"]
const postgresUrl = databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(databaseUrl) ? databaseUrl : undefined
const skipPostgres = postgresUrl === undefined && process.env["CI"] !== "true"
if (skipPostgres) {
  console.warn(
    "InboxSql.test.ts: the PostgreSQL rows are SKIPPED: DATABASE_URL is not a postgres:// URL. Set it to run them; " +
      "in CI they are required."
  )
}

/** A driver on one PostgreSQL connection. */
const onConnection = (connection: pg.ClientBase): Driver => ({
  dialect: InboxSql.pg,
  all: async (text, params = []) => (await connection.query(text, params as Array<unknown>)).rows,
  transaction: async (f) => {
    await connection.query("BEGIN")
    try {
      const result = await f()
      await connection.query("COMMIT")
      return result
    } catch (error) {
      await connection.query("ROLLBACK")
      throw error
    }
  }
})

/** A schema of its own per driver, as the connection's search_path: it sees an empty database. */
const postgres: Engine = {
  name: "PostgreSQL",
  skip: skipPostgres,
  open: async () => {
    if (postgresUrl === undefined) throw new Error("CI=true but DATABASE_URL is not a postgres:// URL")
    const client = new pg.Client({ connectionString: postgresUrl })
    await client.connect()
    const schema = `t_${randomBytes(6).toString("hex")}`
    await client.query(`CREATE SCHEMA ${schema}`)
    await client.query(`SET search_path TO ${schema}`)
    afterAll(async () => {
      await client.query(`DROP SCHEMA ${schema} CASCADE`)
      await client.end()
    })
    return onConnection(client)
  }
}

const run = async <I, A>(driver: Driver, query: InboxSql.Query<I, A>, input: I): Promise<A> =>
  query.read(await driver.all(query.text, query.params(input)), input)

const runScript = async <I, A>(driver: Driver, script: InboxSql.Script<I, A>, input: I): Promise<A> => {
  const all = async () => {
    const results: Array<ReadonlyArray<InboxSql.SqlRow>> = []
    for (const statement of script.statements) results.push(await driver.all(statement.text, statement.params(input)))
    return results
  }
  return script.read(await (script.transaction ? driver.transaction(all) : all()), input)
}

/**
 * What a migrator does, by hand: the migrations table (PostgreSQL's as the dialect gives it, SQLite's as
 * `@effect/sql`'s Migrator makes it), then each migration not applied yet: its statements and its row.
 */
const migrate = async (driver: Driver, upTo = Number.POSITIVE_INFINITY) => {
  const { dialect } = driver
  await driver.all(
    dialect.migrationsTable ??
      `CREATE TABLE IF NOT EXISTS ${InboxSql.tables.migrations} (migration_id integer PRIMARY KEY NOT NULL,
  created_at datetime NOT NULL DEFAULT current_timestamp, name VARCHAR(255) NOT NULL)`
  )
  const applied = await run(driver, dialect.migrated, undefined)
  for (const migration of dialect.migrations) {
    if (migration.id <= applied) continue
    if (migration.id > upTo) break
    await driver.transaction(async () => {
      for (const statement of migration.statements) await driver.all(statement)
      await driver.all(
        `INSERT INTO ${InboxSql.tables.migrations} (migration_id, name) VALUES (${migration.id}, '${migration.name}')`
      )
    })
  }
}

/**
 * A group commit of one kind, as each edition writes it: SQLite, each input's own statement in one transaction;
 * PostgreSQL, the multi-row statement over the inputs ordered by id, each answered from its map.
 */
const many = async <I extends { readonly id: string }, A>(
  driver: Driver,
  single: InboxSql.Query<I, A>,
  batch: InboxSql.Query<ReadonlyArray<I>, ReadonlyMap<string, A>> | undefined,
  inputs: ReadonlyArray<I>,
  missing: A
): Promise<ReadonlyArray<A>> => {
  if (batch === undefined) {
    return driver.transaction(async () => {
      const answers: Array<A> = []
      for (const input of inputs) answers.push(await run(driver, single, input))
      return answers
    })
  }
  // Distinct ids in the table's batches: the plan puts them all in the statement, ordered by id.
  const plan = InboxSql.planBatch(inputs.map((input) => ({ kind: "claim", id: input.id })))
  expect(plan.later).toEqual([])
  const written = await run(driver, batch, plan.claim.map((i) => inputs[i]!))
  return inputs.map((input) => written.get(input.id) ?? missing)
}

const step = async (driver: Driver, step: Step): Promise<unknown> => {
  const { dialect } = driver
  switch (step.op) {
    case "claim":
      return run(driver, dialect.claim, step.input)
    case "claims":
      return many(driver, dialect.claim, dialect.batch?.claim, step.inputs, null)
    case "settle":
      return run(driver, dialect.settle, step.input)
    case "settles":
      return many<InboxSql.Settle, boolean>(driver, dialect.settle, dialect.batch?.settle, step.inputs, false)
    case "enqueue":
      return run(driver, dialect.enqueue, step.input)
    case "enqueues":
      return many<InboxSql.Enqueue, boolean>(driver, dialect.enqueue, dialect.batch?.enqueue, step.inputs, false)
    case "take":
      return run(driver, dialect.take, step.input)
    case "renew":
      return run(driver, dialect.renew, step.input)
    case "status":
      return run(driver, dialect.status, step.id)
    case "purge":
      return runScript(driver, dialect.purge, step.input)
    case "replay":
      return run(driver, dialect.replay, step.input)
    case "inspect":
      return run(driver, dialect.inspect, step.input)
    case "discard":
      return runScript(driver, dialect.discard, step.id)
    case "recover": {
      const statement = dialect.recover(step.filter, step.now)
      return statement.read(await driver.all(statement.text, statement.params))
    }
    case "list": {
      const filter = InboxSql.listFilter(step.query)
      if (!filter.ok) throw new Error(filter.error.message)
      const statement = dialect.list(filter.value)
      const page = statement.read(await driver.all(statement.text, statement.params))
      return page.deliveries.map((delivery) => delivery.webhookId)
    }
    case "stats":
      return (await runScript(driver, dialect.stats, step.now)).byStatus
    case "insert": {
      const columns = Object.keys(step.row)
      const values = Object.values(step.row)
      const placeholders = dialect.name === "pg" ? columns.map((_, i) => `$${i + 1}`) : columns.map(() => "?")
      await driver.all(
        `INSERT INTO ${InboxSql.tables.deliveries} (${columns.join(", ")}) VALUES (${placeholders.join(", ")})`,
        values
      )
      return undefined
    }
  }
}

/**
 * The stats (the counts the database keeps) equal the deliveries counted one by one: what every scenario checks
 * after each of its steps, whatever the step did to which rows.
 */
const countsAgree = async (driver: Driver, when: string) => {
  const kept = await runScript(driver, driver.dialect.stats, T)
  const counted = statsOf(await driver.all(STATS_GROUPS), [], T)
  expect({ byStatus: kept.byStatus, byEventType: kept.byEventType }, when).toEqual({
    byStatus: counted.byStatus,
    byEventType: counted.byEventType
  })
}

const rows = async (driver: Driver) => ({
  deliveries: (await driver.all(ROWS.deliveries)).map(normal) as unknown as Array<DeliveryRow>,
  attempts: (await driver.all(ROWS.attempts)).map(normal) as unknown as Array<AttemptRow>
})

describe("the dialects", () => {
  it("name the same migrations as every version shipped, SQLite's third with its attempt triggers", () => {
    for (const dialect of [InboxSql.sqlite, InboxSql.pg]) {
      expect(dialect.migrations.map((migration) => [migration.id, migration.name])).toEqual([
        [1, "create_deliveries"],
        [2, "delivery_log"],
        [3, "attempt_outcome"],
        [4, "replay_marks"],
        [5, "delivery_counts"],
        [6, "trace_context"]
      ])
      expect(dialect.latestMigration).toBe(6)
    }
    expect(InboxSql.sqlite.migrations[2]!.statements.filter((ddl) => ddl.startsWith("CREATE TRIGGER"))).toHaveLength(3)
    expect(InboxSql.pg.migrations[2]!.statements).toEqual([
      `ALTER TABLE ${InboxSql.tables.deliveries} ADD COLUMN last_outcome TEXT`
    ])
  })

  it("write their placeholders each their own way: SQLite `?`, PostgreSQL `$1` on", () => {
    const texts = (dialect: InboxSql.Dialect) => {
      const filter = InboxSql.listFilter({ status: ["failed", "dead"], eventType: "batch.", since: new Date(0) })
      if (!filter.ok) throw new Error(filter.error.message)
      return [
        dialect.claim,
        dialect.settle,
        dialect.enqueue,
        dialect.renew,
        dialect.status,
        dialect.take,
        dialect.get,
        dialect.history,
        dialect.replay,
        dialect.inspect,
        dialect.timeline,
        dialect.list(filter.value),
        dialect.recover({ since: 0, until: 1, failed: true, dead: true }, 1),
        ...dialect.purge.statements,
        ...dialect.discard.statements,
        ...dialect.stats.statements,
        ...Object.values(dialect.batch ?? {})
      ].map((statement) => statement.text)
    }
    for (const text of texts(InboxSql.sqlite)) expect(text).not.toMatch(/\$\d/)
    for (const text of texts(InboxSql.pg)) expect(text).not.toContain("?")
    // The same statement takes as many parameters as it has placeholders.
    const claim = { id: "x", eventType: "t", timestamp: 1, body: null, lockedUntil: 2, now: 1 }
    expect(InboxSql.sqlite.claim.text.match(/\?/g)).toHaveLength(InboxSql.sqlite.claim.params(claim).length)
    expect(InboxSql.pg.claim.text.match(/\$\d+/g)).toHaveLength(InboxSql.pg.claim.params(claim).length)
  })
})

describe("a group commit's plan", () => {
  it("puts the first write of each id in its kind's statement, ordered by id, and a repeated id after them", () => {
    const plan = InboxSql.planBatch([
      { kind: "claim", id: "b" },
      { kind: "settle", id: "a" },
      { kind: "claim", id: "a" },
      { kind: "claim", id: "b" },
      { kind: "enqueue", id: "b" },
      { kind: "settle", id: "a" },
      { kind: "claim", id: "c" }
    ])
    expect(plan).toEqual({ claim: [2, 0, 6], settle: [1], enqueue: [4], later: [3, 5] })
    expect(InboxSql.planBatch([])).toEqual({ claim: [], settle: [], enqueue: [], later: [] })
  })
})

describe("the bound on webhook-id", () => {
  for (const { bytes, id, kept, name } of ids) {
    it(`${kept ? "keys on" : "refuses"} ${name} (${bytes} bytes)`, () => {
      expect(new TextEncoder().encode(id).length).toBe(bytes)
      const problem = InboxSql.idTooLong(id)
      if (kept) expect(problem).toBeUndefined()
      else {
        expect(problem?.reason).toBe("WebhookIdTooLong")
        expect(problem?.header).toBe("webhook-id")
        expect(problem?.message).toBe(
          `the webhook-id is ${bytes} bytes long; the inbox keys deliveries on it and takes at most 1024 bytes ` +
            "(UTF-8) on every database: refused before anything was stored"
        )
      }
    })
  }
})

for (const engine of [sqlite, postgres]) {
  describe.skipIf(engine.skip)(`the inbox's statements on ${engine.name}`, () => {
    it("store every webhook-id the bound admits; PostgreSQL cannot index 2,800 bytes", async () => {
      const driver = await engine.open()
      await migrate(driver)
      const claim = (id: string) =>
        run(driver, driver.dialect.claim, {
          id,
          eventType: "t",
          timestamp: 1,
          body: "{}",
          lockedUntil: T + LEASE,
          now: T
        })
      for (const { id, kept } of ids) if (kept) expect(await claim(id)).toBe(1)
      // Why there is a bound: without one this id was kept on SQLite, and failed on PostgreSQL at every retry.
      const over = ids.find((each) => each.bytes === 2800)!.id
      if (engine.name === "PostgreSQL") await expect(claim(over)).rejects.toThrow(/index row size/)
      else expect(await claim(over)).toBe(1)
    })

    it("migrate an empty database, and say how far", async () => {
      const driver = await engine.open()
      await migrate(driver, 0)
      expect(await run(driver, driver.dialect.migrated, undefined)).toBe(0)
      await migrate(driver)
      expect(await run(driver, driver.dialect.migrated, undefined)).toBe(6)
      expect(await rows(driver)).toEqual({ deliveries: [], attempts: [] })
    })

    it("count the deliveries a store held before it kept counts, and keep counting them", async () => {
      const driver = await engine.open()
      await migrate(driver, 3)
      const insert = (id: string, type: string | null, status: string) =>
        driver.all(
          `INSERT INTO ${InboxSql.tables.deliveries} (webhook_id, event_type, status, attempts, received_at, updated_at)
VALUES ('${id}', ${type === null ? "NULL" : `'${type}'`}, '${status}', 1, ${T}, ${T})`
        )
      await insert("a", "batch.completed", "done")
      await insert("b", "batch.completed", "done")
      await insert("c", null, "failed")
      await insert("d", "t", "pending")
      await migrate(driver)
      await countsAgree(driver, "after the migration")
      expect((await runScript(driver, driver.dialect.stats, T)).byStatus).toEqual({
        processing: 0,
        done: 2,
        failed: 1,
        pending: 1,
        dead: 0
      })
      await insert("e", null, "dead")
      await driver.all(`DELETE FROM ${InboxSql.tables.deliveries} WHERE webhook_id = 'a'`)
      await driver.all(`UPDATE ${InboxSql.tables.deliveries} SET status = 'done', event_type = 'u'`)
      await countsAgree(driver, "after writes of every kind")
      expect((await runScript(driver, driver.dialect.stats, T)).byEventType).toEqual([
        { eventType: "u", status: "done", count: 4 }
      ])
    })

    it("keep a queued delivery's traceparent for the worker that takes it, alone and in a group commit", async () => {
      const driver = await engine.open()
      await migrate(driver)
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
      const enqueue = (id: string, traceparent?: string) => ({ id, eventType: "t", timestamp: 1, body: "{}", now: T,
        ...(traceparent === undefined ? {} : { traceparent }) })
      expect(await run(driver, driver.dialect.enqueue, enqueue("a", traceparent))).toBe(true)
      expect(await run(driver, driver.dialect.enqueue, enqueue("b"))).toBe(true)
      await many(driver, driver.dialect.enqueue, driver.dialect.batch?.enqueue, [enqueue("c", traceparent)], false)
      const taken = await run(driver, driver.dialect.take, { max: 3, lockedUntil: T + LEASE, now: T })
      expect(Object.fromEntries(taken.map((row) => [row.webhookId, row.traceparent]))).toEqual({
        a: traceparent,
        b: undefined,
        c: traceparent
      })
      expect(taken.find((row) => row.webhookId === "b")).not.toHaveProperty("traceparent")
    })

    it("migrate a store of the first version: released rows are failed from then on, and claimable", async () => {
      const driver = await engine.open()
      await migrate(driver, 1)
      const text = `INSERT INTO ${InboxSql.tables.deliveries} (webhook_id, status, attempts, received_at, updated_at)
VALUES ('old', 'released', 2, ${T}, ${T})`
      await driver.all(text)
      await migrate(driver)
      expect(await run(driver, driver.dialect.status, "old")).toBe("failed")
      const claim = { id: "old", eventType: "t", timestamp: 1, body: "{}", lockedUntil: T + LEASE, now: T }
      expect(await run(driver, driver.dialect.claim, claim)).toBe(3)
      expect((await rows(driver)).attempts).toEqual([
        { webhook_id: "old", attempt: 3, started_at: T, ended_at: null, outcome: null, error: null, duration_ms: null }
      ])
    })

    for (const scenario of scenarios) {
      it(scenario.name, async () => {
        const driver = await engine.open()
        await migrate(driver)
        for (const [i, each] of scenario.steps.entries()) {
          expect(await step(driver, each), `step ${i + 1} (${each.op})`).toEqual(expected(each))
          await countsAgree(driver, `after step ${i + 1} (${each.op})`)
        }
        expect(await rows(driver)).toEqual({ deliveries: scenario.deliveries, attempts: scenario.attempts })
      })
    }
  })
}

describe("SQLite's durability", () => {
  const walOf = async (db: Database.Database) => {
    const durability = InboxSql.sqlite.durability!
    return runScript(sqliteDriver(db), durability, undefined)
  }

  it("syncs the write-ahead log where commits do not (WAL below synchronous FULL), and nothing elsewhere", async () => {
    const file = sqliteFile()
    const db = new Database(file)
    try {
      db.pragma("journal_mode = WAL")
      db.pragma("synchronous = NORMAL")
      expect(await walOf(db)).toBe(`${file}-wal`)
      db.pragma("synchronous = FULL")
      expect(await walOf(db)).toBeUndefined()
      db.pragma("journal_mode = DELETE")
      db.pragma("synchronous = NORMAL")
      expect(await walOf(db)).toBeUndefined()
    } finally {
      db.close()
    }
    const memory = new Database(":memory:")
    try {
      expect(await walOf(memory)).toBeUndefined()
    } finally {
      memory.close()
    }
    expect(InboxSql.pg.durability).toBeUndefined()
  })

  it("says which file the database is, to tell when its path no longer leads to it; none in memory", async () => {
    const file = sqliteFile()
    const db = new Database(file)
    const memory = new Database(":memory:")
    try {
      expect(await runScript(sqliteDriver(db), InboxSql.sqlite.file!, undefined)).toBe(file)
      expect(await runScript(sqliteDriver(memory), InboxSql.sqlite.file!, undefined)).toBeUndefined()
    } finally {
      db.close()
      memory.close()
    }
    expect(InboxSql.pg.file).toBeUndefined()
  })
})

describe("listFilter's event type", () => {
  const read = (eventType: string) => {
    const filter = InboxSql.listFilter({ eventType })
    if (!filter.ok) throw new Error(filter.error.message)
    return { eventType: filter.value.eventType, prefix: filter.value.prefix }
  }

  it("reads a name without a dot as its family, as the CLI's and the inspector's filters are typed", () => {
    expect(read("batch")).toEqual({ eventType: "batch.", prefix: true })
    expect(read("fine_tuning")).toEqual({ eventType: "fine_tuning.", prefix: true })
  })

  it("keeps a family ending in a dot and an exact type as they are", () => {
    expect(read("batch.")).toEqual({ eventType: "batch.", prefix: true })
    expect(read("batch.completed")).toEqual({ eventType: "batch.completed", prefix: false })
    expect(read("")).toEqual({ eventType: undefined, prefix: false })
  })
})

describe.skipIf(skipPostgres)("PostgreSQL's counts under writers and readers in parallel", () => {
  it("every read sees every change committed before it, and the counts end equal to the rows", async () => {
    if (postgresUrl === undefined) throw new Error("CI=true but DATABASE_URL is not a postgres:// URL")
    const schema = `t_${randomBytes(6).toString("hex")}`
    const pool = new pg.Pool({ connectionString: postgresUrl, max: 6, options: `-c search_path=${schema}` })
    /** `f` on a connection of its own. */
    const connected = async <A>(f: (driver: Driver) => Promise<A>): Promise<A> => {
      const connection = await pool.connect()
      try {
        return await f(onConnection(connection))
      } finally {
        connection.release()
      }
    }
    try {
      await pool.query(`CREATE SCHEMA ${schema}`)
      await connected((driver) => migrate(driver))
      const { enqueue, stats, take } = InboxSql.pg
      let done = false
      /** A reader: the totals its reads saw, in order. */
      const reader = () =>
        connected(async (driver) => {
          const totals: Array<number> = []
          while (!done) {
            const read = await runScript(driver, stats, T)
            totals.push(Object.values(read.byStatus).reduce((a, b) => a + b, 0))
          }
          return totals
        })
      const writer = async (n: number) => {
        for (let i = 0; i < 40; i++) {
          const e = { id: `w${n}_${i}`, eventType: `t${i % 3}`, timestamp: 1, body: "{}", now: T }
          await pool.query(enqueue.text, enqueue.params(e) as Array<unknown>)
          // Some taken too: rows change status while they are counted.
          if (i % 4 === 0) {
            await pool.query(take.text, take.params({ max: 2, lockedUntil: T + LEASE, now: T }) as Array<unknown>)
          }
        }
      }
      const readers = [reader(), reader()]
      await Promise.all([writer(1), writer(2), writer(3)])
      done = true
      for (const totals of await Promise.all(readers)) {
        // Only enqueues add rows: a read that missed a committed change (another reader's fold) sees fewer.
        for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1]!)
      }
      await connected(async (driver) => {
        await countsAgree(driver, "after the writers")
        expect(Object.values((await runScript(driver, stats, T)).byStatus).reduce((a, b) => a + b, 0)).toBe(120)
      })
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await pool.end()
    }
  }, 60_000)
})
