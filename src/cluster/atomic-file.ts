// Small metadata files replaced atomically: write a temporary file, fsync it, rename it over the
// old one, fsync the directory. A crash leaves either the old file or the new one, never a torn
// mix; a leftover `.tmp` is ignored and overwritten by the next write. Synchronous: only the
// dynamic broker configs (AlterConfigs on a broker, rare) use it. The topic image and the producer
// id blocks are written with storage/checkpoint.ts's thread-pool variant, since an fsync on the
// event loop held every client's requests for up to a second while the disk was busy.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export function writeFileAtomic(path: string, text: string): void {
  const tmpPath = `${path}.tmp`
  const fd = openSync(tmpPath, 'w', 0o644)
  try {
    const bytes = Buffer.from(text, 'utf8')
    let written = 0
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmpPath, path)
  syncDirectory(dirname(path))
}

/** The file's text, or null when it does not exist. */
export function readFileIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
