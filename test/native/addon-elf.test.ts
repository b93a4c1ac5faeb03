// The cross-built addons (scripts/cross-addons.sh: linux arm64 and musl) cannot run on this
// machine, so scripts/check-addon-elf.ts reads their ELF headers instead: machine, C library and,
// for glibc, the newest symbol version. This proves the check on the addon built here (which it
// must accept as linux-x64-gnu and refuse under every other name, and refuse against a glibc
// ceiling older than the one it was linked with), on files that are not libraries, and on every
// prebuilt addon present in native/prebuilt/ (none unless cross-addons.sh or `release --cross` ran).
import { expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  ADDON_PLATFORMS,
  addonElfProblems,
  readAddonElf,
  type AddonPlatform,
} from '../../scripts/check-addon-elf.ts'

const repoRoot = join(import.meta.dir, '../..')
const hostAddon = readFileSync(join(repoRoot, 'native/sluice.node'))
const isX64Glibc = process.arch === 'x64' && process.platform === 'linux'

test.if(isX64Glibc)('the addon built here is linux-x64-gnu and nothing else', () => {
  expect(addonElfProblems(hostAddon, 'linux-x64-gnu')).toEqual([])
  expect(addonElfProblems(hostAddon, 'linux-arm64-gnu')).toEqual([
    'machine 62 (x86-64), expected 183 (AArch64)',
  ])
  expect(addonElfProblems(hostAddon, 'linux-x64-musl')).toEqual([
    expect.stringMatching(/^needs .*libc\.so\.6.*: expected musl's libc\.so$/),
  ])
  expect(addonElfProblems(hostAddon, 'linux-arm64-musl')).toHaveLength(2)
})

test.if(isX64Glibc)('a glibc ceiling older than what the addon links against is refused', () => {
  const { glibcVersions } = readAddonElf(hostAddon)
  expect(glibcVersions).toContain('GLIBC_2.2.5') // every x86-64 glibc library needs the base
  expect(addonElfProblems(hostAddon, 'linux-x64-gnu', { glibcMax: '99.0' })).toEqual([])
  expect(addonElfProblems(hostAddon, 'linux-x64-gnu', { glibcMax: '2.1' })).toEqual([
    expect.stringMatching(/^needs GLIBC_2\.2\.5, .*: newer than GLIBC_2\.1$/),
  ])
})

test('a file that is not a 64-bit shared library is refused in one line', () => {
  const problems = (bytes: Uint8Array) => addonElfProblems(bytes, 'linux-arm64-gnu')
  expect(problems(new TextEncoder().encode('#!/bin/sh\necho not an addon\n'.repeat(4)))).toEqual([
    'not an ELF file (no \\x7fELF magic)',
  ])
  expect(problems(hostAddon.subarray(0, 20))).toEqual([
    'the ELF header at byte 0 (+64) is past the end (20 bytes)',
  ])
  const thirtyTwoBit = Uint8Array.from(hostAddon.subarray(0, 64))
  thirtyTwoBit[4] = 1
  expect(problems(thirtyTwoBit)).toEqual(['ELF class 1, expected 2 (64-bit)'])
  const executable = Uint8Array.from(hostAddon.subarray(0, 64))
  executable[16] = 2 // ET_EXEC
  expect(problems(executable)).toEqual(['ELF type 2, expected 3 (shared object)'])
  // Headers intact, the tables they point at cut off: an error naming what is missing.
  expect(problems(hostAddon.subarray(0, 4096))).toEqual([
    expect.stringMatching(/past the end \(4096 bytes\)$/),
  ])
})

const prebuiltDir = join(repoRoot, 'native/prebuilt')
const prebuilt = existsSync(prebuiltDir)
  ? readdirSync(prebuiltDir).filter((name) => /^sluice\.linux-.+\.node$/.test(name))
  : []

test.if(prebuilt.length > 0)('every prebuilt addon is what its name says', () => {
  for (const name of prebuilt) {
    const platform = name.slice('sluice.'.length, -'.node'.length) as AddonPlatform
    expect(ADDON_PLATFORMS).toContain(platform)
    // cross-addons.sh links the glibc builds against glibc 2.17.
    const glibcMax = platform.endsWith('-gnu') && platform !== 'linux-x64-gnu' ? '2.17' : undefined
    const problems = addonElfProblems(readFileSync(join(prebuiltDir, name)), platform, {
      glibcMax,
    })
    expect({ name, problems }).toEqual({ name, problems: [] })
  }
})
