// Lets TypeScript check scripts/compiled-entry.ts: Bun imports a file `with { type: 'file' }` as
// its path (in a compiled executable, a path inside the executable's /$bunfs).
declare module '*.node' {
  const path: string
  export default path
}
