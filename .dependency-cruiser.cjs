// The dependency rule of ARCHITECTURE.md, checked by `npm test` (scripts/test.ts runs
// `depcruise --config .dependency-cruiser.cjs src`). Type-only imports count: a type lives where
// its importers point, so a type import against the layers is as wrong as a runtime one.
//
// Layers, top to bottom; a module imports its own layer or a lower one, never a higher one, and
// no chain of imports comes back to where it started.
const layers = [
  { name: 'entry', path: '^src/(cli\\.ts|cli/|broker\\.ts|metrics/exporter\\.ts)' },
  { name: 'server', path: '^src/server/' },
  { name: 'handlers', path: '^src/handlers/' },
  {
    name: 'coordinator/cluster/client/config',
    path: '^src/(coordinator/|cluster/|client/|config/|config\\.ts)',
  },
  { name: 'storage', path: '^src/storage/' },
  // Counters and their rendering; metrics/exporter.ts, which reads the whole broker, is entry.
  { name: 'metrics', path: '^src/metrics/(?!exporter\\.ts)' },
  { name: 'protocol', path: '^src/protocol/' },
  { name: 'native, assert', path: '^src/(native|native-fallback|native-types|assert)\\.ts' },
]

const upward = layers.slice(1).map((layer, i) => ({
  name: `no-import-up-from-${layer.name.replaceAll('/', '-')}`,
  comment: `${layer.name} is below ${layers
    .slice(0, i + 1)
    .map((l) => l.name)
    .join(', ')}: it must not import them (ARCHITECTURE.md, "The dependency rule")`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: layers.slice(0, i + 1).map((l) => l.path) },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: a type or function lives on the wrong side (ARCHITECTURE.md)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unlayered-src',
      comment:
        'Every file under src/ belongs to a layer: add its folder to .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: layers.map((l) => l.path) },
      to: {},
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|native/target)' },
  },
}
