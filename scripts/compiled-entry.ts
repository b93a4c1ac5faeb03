// The entry point of the single executable (scripts/release.sh): embeds the native addon in the
// binary (Bun's `with { type: 'file' }` puts it in the executable's /$bunfs) and tells
// src/native.ts where it is before anything loads the addon, then runs the command line. Kept
// out of src/ so the normal start path and the bundle never carry the addon's bytes.
import addonPath from '../native/sluice.node' with { type: 'file' }

;(globalThis as { sluiceEmbeddedAddon?: string }).sluiceEmbeddedAddon = addonPath
void import('../src/cli.ts').then(async ({ main }) => {
  const outcome = await main(process.argv.slice(2))
  if (outcome !== 'running') process.exit(outcome)
})
