// Proves how the addon loads: the same sluice.node works under Node (run as `node -e` in a
// child process: it registers, CRC32C gives the check value, a mapping is made and detached,
// fdatasync completes on Node's worker pool), and src/native.ts fails with one clear line when
// the file is missing or is not a loadable library.
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
addon.fdatasyncAsync(fd).then(() => {
  addon.closeFile(fd)
  fs.rmSync(dir, { recursive: true })
  const crc = addon.crc32c(Buffer.from('123456789')).toString(16)
  console.log(JSON.stringify({ crc, detachedLength: mapping.byteLength, exports: Object.keys(addon).length }))
})
`

test('the addon loads and runs under Node', () => {
  const child = Bun.spawnSync(['node', '-e', nodeScript], { stdout: 'pipe', stderr: 'pipe' })
  expect(child.stderr.toString()).toBe('')
  expect(child.exitCode).toBe(0)
  expect(JSON.parse(child.stdout.toString())).toEqual({
    crc: 'e3069283',
    detachedLength: 0,
    exports: 20,
  })
})

// A copy of src/native.ts in a scratch tree, so the addon next to it can be absent or broken.
let root = ''
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-native-load-'))
  mkdirSync(join(root, 'src'))
  mkdirSync(join(root, 'native'))
  copyFileSync(join(import.meta.dir, '../../src/native.ts'), join(root, 'src/native.ts'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

function importError(): string {
  const child = Bun.spawnSync([process.execPath, join(root, 'src/native.ts')], { stderr: 'pipe' })
  expect(child.exitCode).not.toBe(0)
  return child.stderr.toString()
}

test('a missing addon is one line naming the path and the command to run', () => {
  const expected = join(root, 'native/sluice.node')
  expect(importError()).toContain(
    `sluice: native addon not found at ${expected}; run 'npm run build:native' (needs Rust)`,
  )
})

test('an addon that does not load says why, on the same one line', () => {
  writeFileSync(join(root, 'native/sluice.node'), 'not an ELF file')
  expect(importError()).toMatch(
    /sluice: native addon at \S+sluice\.node failed to load: .+; run 'npm run build:native'/,
  )
})
