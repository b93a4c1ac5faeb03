// Waits for a condition rather than for a time: polls every 5 ms until it holds or a generous
// deadline passes (then throws, naming the deadline), so a busy machine only makes it slower.

export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await Bun.sleep(5)
  }
}
