// Checks that a built addon is what its name says, from its ELF headers alone, so that a
// cross-build for another machine (scripts/cross-addons.sh) is caught here, where it cannot run:
//   * an ELF shared object, 64-bit, little-endian, for the named machine (x86-64 or AArch64);
//   * linked against the named C library: glibc's `libc.so.6` for -gnu, musl's `libc.so` (or
//     `libc.musl-<arch>.so.1`, Alpine's name for it) for -musl, and never both;
//   * for -gnu with --glibc-max (cross-addons.sh builds against glibc 2.17, the oldest napi-rs
//     supports, and says so), no symbol version newer than that, so the addon loads on every glibc
//     distribution it claims.
// Layout from the System V ABI and the LSB (the ELF header, program headers, the dynamic section,
// .gnu.version_r's Verneed/Vernaux entries). Reads only the mapped view (PT_LOAD) of each table.
// Usage: bun scripts/check-addon-elf.ts FILE PLATFORM [--glibc-max X.Y]
//   PLATFORM: linux-x64-gnu, linux-x64-musl, linux-arm64-gnu or linux-arm64-musl; exits 1 with
//   one line per problem.
import { readFileSync } from 'node:fs'

export const ADDON_PLATFORMS = [
  'linux-x64-gnu',
  'linux-x64-musl',
  'linux-arm64-gnu',
  'linux-arm64-musl',
] as const
export type AddonPlatform = (typeof ADDON_PLATFORMS)[number]

const EM_X86_64 = 62
const EM_AARCH64 = 183
const ET_DYN = 3
const PT_LOAD = 1
const PT_DYNAMIC = 2
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_VERNEED = 0x6ffffffe
const DT_VERNEEDNUM = 0x6fffffff
/** Bounds on what a peer-controlled file can make the loops walk. */
const ENTRIES_MAX = 100_000

export interface AddonElf {
  machine: number
  needed: string[]
  /** Every GLIBC_x.y version the library needs (.gnu.version_r), e.g. "GLIBC_2.14". */
  glibcVersions: string[]
}

/** Reads what the checks need; throws an Error naming the field when the file is not such an ELF. */
export function readAddonElf(bytes: Uint8Array): AddonElf {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const need = (offset: number, size: number, what: string) => {
    if (offset < 0 || offset + size > bytes.byteLength) {
      throw new Error(
        `${what} at byte ${offset} (+${size}) is past the end (${bytes.byteLength} bytes)`,
      )
    }
  }
  need(0, 64, 'the ELF header')
  if (view.getUint32(0) !== 0x7f454c46) throw new Error('not an ELF file (no \\x7fELF magic)')
  if (bytes[4] !== 2) throw new Error(`ELF class ${bytes[4]}, expected 2 (64-bit)`)
  if (bytes[5] !== 1) throw new Error(`ELF data encoding ${bytes[5]}, expected 1 (little-endian)`)
  const type = view.getUint16(16, true)
  if (type !== ET_DYN) throw new Error(`ELF type ${type}, expected ${ET_DYN} (shared object)`)
  const machine = view.getUint16(18, true)
  const u64 = (offset: number) => Number(view.getBigUint64(offset, true))
  const phoff = u64(32)
  const phentsize = view.getUint16(54, true)
  const phnum = view.getUint16(56, true)
  const loads: { vaddr: number; offset: number; filesz: number }[] = []
  let dynamic: { offset: number; size: number } | null = null
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    need(at, 56, `program header ${i}`)
    const kind = view.getUint32(at, true)
    const offset = u64(at + 8)
    const filesz = u64(at + 32)
    if (kind === PT_LOAD) loads.push({ vaddr: u64(at + 16), offset, filesz })
    if (kind === PT_DYNAMIC) dynamic = { offset, size: filesz }
  }
  if (!dynamic) throw new Error('no PT_DYNAMIC program header: not a dynamically linked library')
  /** A virtual address (as the dynamic section gives them) as a file offset. */
  const fileOffset = (address: number, what: string) => {
    const load = loads.find((l) => address >= l.vaddr && address < l.vaddr + l.filesz)
    if (!load)
      throw new Error(`${what} at address 0x${address.toString(16)} is in no PT_LOAD segment`)
    return address - load.vaddr + load.offset
  }
  const entries: { tag: number; value: number }[] = []
  for (let at = dynamic.offset; at < dynamic.offset + dynamic.size; at += 16) {
    need(at, 16, 'a dynamic entry')
    const tag = u64(at)
    if (tag === DT_NULL || entries.length >= ENTRIES_MAX) break
    entries.push({ tag, value: u64(at + 8) })
  }
  const value = (tag: number) => entries.find((e) => e.tag === tag)?.value
  const strtabAddress = value(DT_STRTAB)
  if (strtabAddress === undefined) throw new Error('no DT_STRTAB in the dynamic section')
  const strtab = fileOffset(strtabAddress, 'the dynamic string table')
  const string = (index: number) => {
    const start = strtab + index
    need(start, 1, 'a dynamic string')
    const end = bytes.indexOf(0, start)
    if (end < 0) throw new Error(`the dynamic string at byte ${start} is not terminated`)
    return new TextDecoder().decode(bytes.subarray(start, end))
  }
  const needed = entries.filter((e) => e.tag === DT_NEEDED).map((e) => string(e.value))
  const glibcVersions: string[] = []
  const verneed = value(DT_VERNEED)
  const verneedCount = Math.min(value(DT_VERNEEDNUM) ?? 0, ENTRIES_MAX)
  // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
  // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
  let at = verneed === undefined ? 0 : fileOffset(verneed, 'the version needs (.gnu.version_r)')
  for (let i = 0; verneed !== undefined && i < verneedCount; i++) {
    need(at, 16, 'a Verneed entry')
    const auxCount = view.getUint16(at + 2, true)
    let aux = at + view.getUint32(at + 8, true)
    for (let j = 0; j < auxCount && j < ENTRIES_MAX; j++) {
      need(aux, 16, 'a Vernaux entry')
      const name = string(view.getUint32(aux + 8, true))
      if (name.startsWith('GLIBC_') && !glibcVersions.includes(name)) glibcVersions.push(name)
      aux += view.getUint32(aux + 12, true)
    }
    const next = view.getUint32(at + 12, true)
    if (next === 0) break
    at += next
  }
  return { machine, needed, glibcVersions }
}

/** What is wrong with the addon for `platform`, one line each; empty when it fits. */
export function addonElfProblems(
  bytes: Uint8Array,
  platform: AddonPlatform,
  opts: { glibcMax?: string } = {},
): string[] {
  let elf: AddonElf
  try {
    elf = readAddonElf(bytes)
  } catch (error) {
    return [(error as Error).message]
  }
  const problems: string[] = []
  const [, arch, libc] = platform.split('-') as [string, 'x64' | 'arm64', 'gnu' | 'musl']
  const machine = arch === 'x64' ? EM_X86_64 : EM_AARCH64
  if (elf.machine !== machine) {
    const name = (m: number) =>
      m === EM_X86_64 ? 'x86-64' : m === EM_AARCH64 ? 'AArch64' : 'other'
    problems.push(
      `machine ${elf.machine} (${name(elf.machine)}), expected ${machine} (${name(machine)})`,
    )
  }
  const glibc = elf.needed.includes('libc.so.6')
  const musl = elf.needed.some((n) => n === 'libc.so' || /^libc\.musl-[a-z0-9_]+\.so\.1$/.test(n))
  const needs = `needs ${elf.needed.join(', ') || 'no library'}`
  if (libc === 'gnu' && (!glibc || musl)) problems.push(`${needs}: expected glibc's libc.so.6`)
  if (libc === 'musl' && (!musl || glibc)) problems.push(`${needs}: expected musl's libc.so`)
  if (libc === 'gnu' && opts.glibcMax !== undefined) {
    const version = (text: string) => text.split('.').map(Number) as [number, number?]
    const [maxMajor, maxMinor = 0] = version(opts.glibcMax)
    const newer = elf.glibcVersions.filter((v) => {
      const [major, minor = 0] = version(v.slice('GLIBC_'.length))
      return major > maxMajor || (major === maxMajor && minor > maxMinor)
    })
    if (newer.length > 0) {
      problems.push(`needs ${newer.join(', ')}: newer than GLIBC_${opts.glibcMax}`)
    }
  }
  return problems
}

if (import.meta.main) {
  const [file, platform, flag, glibcMax] = process.argv.slice(2)
  const flagOk = flag === undefined || (flag === '--glibc-max' && /^\d+\.\d+$/.test(glibcMax ?? ''))
  if (!file || !ADDON_PLATFORMS.includes(platform as AddonPlatform) || !flagOk) {
    console.error(
      `usage: bun scripts/check-addon-elf.ts FILE (${ADDON_PLATFORMS.join('|')}) [--glibc-max X.Y]`,
    )
    process.exit(2)
  }
  const problems = addonElfProblems(readFileSync(file), platform as AddonPlatform, { glibcMax })
  for (const problem of problems) console.error(`check-addon-elf: ${file}: ${problem}`)
  process.exit(problems.length > 0 ? 1 : 0)
}
