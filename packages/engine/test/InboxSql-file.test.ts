/**
 * What the inbox decides without a database: the SQLite file's watch (the same file, a deleted one, a replaced
 * one), the durability sync of a real file, why a replay or a discard changed nothing, and a lease's heartbeat.
 * Both editions call these; they only adapt the answers to their Effect.
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InboxSql } from "openai-webhooks-engine"
import { afterAll, describe, expect, it } from "vitest"

const directory = fs.mkdtempSync(join(tmpdir(), "inbox-file-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))
let n = 0
const file = () => {
  const path = join(directory, `${n++}.sqlite`)
  fs.writeFileSync(path, "x")
  return path
}
const statSync = fs.statSync as unknown as InboxSql.StatSync

describe("InboxSql.watchFile", () => {
  it("has nothing to watch where no file is", () => {
    expect(InboxSql.watchFile(join(directory, "none.sqlite"), statSync)).toBeUndefined()
  })

  it("is healthy while the file at the path is the one opened (node:fs imported by the engine)", async () => {
    const watch = (await InboxSql.watch(file()))!
    expect(watch.check()).toEqual({ health: InboxSql.healthy, lost: false })
    expect(watch.check()).toEqual({ health: InboxSql.healthy, lost: false })
  })

  it("says a deleted file is lost once, and stays unhealthy after it comes back", () => {
    const path = file()
    const watch = InboxSql.watchFile(path, statSync)!
    fs.rmSync(path)
    const first = watch.check()
    expect(first.lost).toBe(true)
    expect(first.health.healthy).toBe(false)
    expect(first.health.healthy ? "" : first.health.reason).toContain("was deleted while the receiver ran")
    fs.writeFileSync(path, "x")
    expect(watch.check()).toEqual({ health: first.health, lost: false })
  })

  it("tells a file replaced under the path (a restore) from the one opened", () => {
    const path = file()
    const watch = InboxSql.watchFile(path, statSync)!
    const other = file()
    fs.renameSync(other, path)
    const look = watch.check()
    expect(look.health.healthy ? "" : look.health.reason).toContain("was replaced by another")
  })

  it("is unhealthy, but not lost, while the file cannot be looked at", () => {
    let failing = false
    const watch = InboxSql.watchFile(file(), (path, options) => {
      if (failing) throw new Error("EACCES: permission denied")
      return statSync(path, options)
    })!
    failing = true
    const look = watch.check()
    expect(look.lost).toBe(false)
    expect(look.health.healthy ? "" : look.health.reason).toContain("cannot be looked at: EACCES")
    failing = false
    expect(watch.check().health).toEqual(InboxSql.healthy)
  })
})

describe("InboxSql.syncFile", () => {
  it("syncs a real file, loading the file system once, and closes it", async () => {
    let loads = 0
    const synced = InboxSql.syncFile(file(), async () => {
      loads++
      return fs
    })
    await synced.sync()
    await synced.sync()
    expect(loads).toBe(1)
    await synced.close()
  })

  it("fails for a file that is not there, and opens it again at the next sync (node:fs by default)", async () => {
    const path = join(directory, "later.sqlite-wal")
    const synced = InboxSql.syncFile(path)
    await expect(synced.sync()).rejects.toThrow(/ENOENT/)
    fs.writeFileSync(path, "x")
    await expect(synced.sync()).resolves.toBeUndefined()
    await synced.close()
    expect(InboxSql.syncFailed(path)).toBe(`Failed to make the inbox's last commits durable (fdatasync ${path})`)
  })
})

describe("InboxSql refusals", () => {
  const found = (status: InboxSql.Status, locked = false): InboxSql.Inspection => ({ status, locked, body: true })

  it("says why a replay changed nothing", () => {
    expect(InboxSql.replayRefusal("a", undefined)).toEqual({
      reason: "NotFound",
      message: "no delivery in the inbox has the webhook-id \"a\"",
      webhookId: "a"
    })
    expect(InboxSql.replayRefusal("a", found("processing", true)).reason).toBe("InProgress")
    // A processing row whose lease expired is replayable: only a missing body stops it then.
    expect(InboxSql.replayRefusal("a", found("processing", false)).reason).toBe("NoBody")
    expect(InboxSql.replayRefusal("a", found("done")).reason).toBe("NoBody")
  })

  it("says why a discard changed nothing", () => {
    expect(InboxSql.discardRefusal("a", undefined).reason).toBe("NotFound")
    expect(InboxSql.discardRefusal("a", found("pending"))).toEqual({
      reason: "NotDead",
      message: "\"a\" is pending, not dead: only dead deliveries are discarded",
      webhookId: "a"
    })
  })
})

describe("InboxSql leases", () => {
  it("beats three times a lease by default, in whole milliseconds, at least once a millisecond", () => {
    expect(InboxSql.defaultHeartbeatMs(InboxSql.defaultLeaseMs)).toBe(10_000)
    expect(InboxSql.defaultHeartbeatMs(1000)).toBe(333)
    expect(InboxSql.defaultHeartbeatMs(2)).toBe(1)
  })

  it("says a lost lease's attempt is not recorded", () => {
    expect(InboxSql.leaseLost.notRecorded.startsWith(InboxSql.leaseLost.takenOver)).toBe(true)
    expect(InboxSql.leaseLost.running).toContain("its handler runs on")
  })
})
