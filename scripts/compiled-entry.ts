// The entry point of the single executable (scripts/executable.sh): embeds the native addon in
// the binary (Bun's `with { type: 'file' }` puts it in the executable's /$bunfs) and tells
// src/native.ts where it is before anything loads the addon, then runs the command line. Kept
// out of src/ so the normal start path and the bundle never carry the addon's bytes.
//
// In a checkout, bin/sluice runs the executable at once and leaves the freshness check to it
// (SLUICE_CHECKOUT names the checkout): the addon stats src/ on a worker thread (1.1 ms) while
// this thread loads the command line, where the shell's globs took 3-7 ms and the same walk in
// JavaScript 4-5 (bench/RESULTS.md, "bin/sluice without the shell's freshness check"). Loading
// src/cli.ts runs no command. An executable older than a file in src/ or
// than the addon it embeds hands the command back to bin/sluice with SLUICE_STALE_EXECUTABLE
// set, which then runs the bundle or src/: an edited tree never runs stale code. Nothing here
// imports node:fs statically: an ES import of it alone cost 2 ms of every start.
import addonPath from '../native/sluice.node' with { type: 'file' }

;(globalThis as { sluiceEmbeddedAddon?: string }).sluiceEmbeddedAddon = addonPath

// An empty value is no checkout, as for the shell.
const checkout = process.env.SLUICE_CHECKOUT || undefined
delete process.env.SLUICE_CHECKOUT
// The walk over src/ runs on a worker thread while this one loads the command line's code.
const newestSource =
  checkout === undefined
    ? null
    : (await import('../src/native.ts')).newestModifiedMs(`${checkout}/src`, '.ts')
const { main } = await import('../src/cli.ts')
if (checkout !== undefined) {
  const builtMs = Bun.file(process.execPath).lastModified
  if (
    Bun.file(`${checkout}/native/sluice.node`).lastModified > builtMs ||
    (await newestSource!) > builtMs
  ) {
    const bin = `${checkout}/bin/sluice`
    process.execve!(bin, [bin, ...process.argv.slice(2)], {
      ...process.env,
      SLUICE_STALE_EXECUTABLE: '1',
    })
  }
}
const outcome = await main(process.argv.slice(2))
if (outcome !== 'running') process.exit(outcome)
