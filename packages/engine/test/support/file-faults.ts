/**
 * What is done to a SQLite store's file under the running process, as the inbox's health tests of both editions do
 * it: deleted (`rm`), or replaced by a copy of itself (a restore, a volume mounted again). Effect-free.
 */
import { copyFileSync, renameSync, rmSync } from "node:fs"

export const faults = {
  deleted: (file: string) => rmSync(file),
  replaced: (file: string) => {
    copyFileSync(file, `${file}.copy`)
    renameSync(`${file}.copy`, file)
  }
} as const
