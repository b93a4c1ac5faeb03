// Proves how the addon loads: the same sluice.node works under Node (run as `node -e` in a
// child process: it registers, CRC32C gives the check value, a mapping is made and detached,
// fdatasync and a walk of a directory complete on Node's worker pool); that a prebuilt addon (native/prebuilt/) is used
// where native/sluice.node does not load; and that src/native.ts, when the file is missing or is
// not a loadable library, falls back to the TypeScript implementation with one clear line saying
// why and what to run (the broker prints it at start; test/native/no-addon.test.ts).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addonPath } from '../../src/native.ts'

const nodeScript = `
const addon = require(${JSON.stringify(addonPath)})
const fs = require('node:fs'), os = require('node:os'), path = require('node:path')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-node-load-'))
const fd = addon.openFile(path.join(dir, 'f'), { write: true, create: true })
addon.fallocate(fd, 0, 4096)
const mapping = addon.mmap(fd, 4096, { write: true })
new Uint8Array(mapping)[0] = 1
addon.msync(mapping)
addon.munmap(mapping)
addon.fdatasyncAsync(fd).then(async () => {
  addon.closeFile(fd)
  const newest = await addon.newestModifiedMs(dir, 'f')
  const walked = Math.abs(newest - fs.statSync(path.join(dir, 'f')).mtimeMs) < 1
  fs.rmSync(dir, { recursive: true })
  const crc = addon.crc32c(Buffer.from('123456789')).toString(16)
  console.log(JSON.stringify({ crc, detachedLength: mapping.byteLength, walked, exports: Object.keys(addon).length }))
})
`

test('the addon loads and runs under Node', () => {
  const child = Bun.spawnSync(['node', '-e', nodeScript], { stdout: 'pipe', stderr: 'pipe' })
  expect(child.stderr.toString()).toBe('')
  expect(child.exitCode).toBe(0)
  expect(JSON.parse(child.stdout.toString())).toEqual({
    crc: 'e3069283',
    detachedLength: 0,
    walked: true,
    exports: 22,
  })
})

// A copy of src/native.ts in a scratch tree, so the addon next to it can be absent or broken.
let root = ''
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-native-load-'))
  mkdirSync(join(root, 'src'))
  mkdirSync(join(root, 'native'))
  for (const file of ['native.ts', 'native-fallback.ts', 'native-types.ts']) {
    copyFileSync(join(import.meta.dir, '../../src', file), join(root, 'src', file))
  }
  writeFileSync(
    join(root, 'src/status.ts'),
    "import { addonStatus, crc32c } from './native.ts'\n" +
      'console.log(JSON.stringify({ ...addonStatus, crc: crc32c(Buffer.from("123456789")) }))\n',
  )
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** What src/native.ts reports when imported from the scratch tree. */
function loadStatus(): { loaded: boolean; reason: string; crc: number } {
  const child = Bun.spawnSync([process.execPath, join(root, 'src/status.ts')], {
    cwd: root,
    stderr: 'pipe',
  })
  expect(child.stderr.toString()).toBe('')
  expect(child.exitCode).toBe(0)
  return JSON.parse(child.stdout.toString())
}

test('a missing addon is one line naming the path and the command to run', () => {
  const expected = join(root, 'native/sluice.node')
  expect(loadStatus()).toEqual({
    loaded: false,
    reason: `native addon not found at ${expected}; run 'npm run build:native' (needs Rust)`,
    crc: 0xe3069283,
  })
})

test('an addon that does not load says why, on the same one line', () => {
  writeFileSync(join(root, 'native/sluice.node'), 'not an ELF file')
  const status = loadStatus()
  expect(status.loaded).toBe(false)
  expect(status.reason).toMatch(
    /^native addon at \S+sluice\.node failed to load: .+; run 'npm run build:native'/,
  )
  expect(status.crc).toBe(0xe3069283)
})

test('where native/sluice.node does not load, a prebuilt addon for the platform is used', () => {
  writeFileSync(join(root, 'native/sluice.node'), 'not an ELF file')
  mkdirSync(join(root, 'native/prebuilt'), { recursive: true })
  const prebuilt = join(root, `native/prebuilt/sluice.linux-${process.arch}-gnu.node`)
  copyFileSync(addonPath, prebuilt)
  try {
    expect(loadStatus()).toEqual({ loaded: true, reason: '', crc: 0xe3069283 })
  } finally {
    rmSync(prebuilt)
  }
})
