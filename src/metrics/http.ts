// The metrics listener (`metrics.listener`, e.g. http://127.0.0.1:9644): Bun.serve answering
// GET /metrics with the Prometheus text exposition, and a short index at /. Anything else is 404.
// It is separate from the Kafka listener, as Redpanda's admin port is, so a scrape never shares a
// socket limit or an event with client traffic.

export interface MetricsListener {
  url: string
  stop(): void
}

/** Parses `http://host:port` (or `host:port`); throws with the value on anything else. */
export function parseMetricsListener(text: string): { host: string; port: number } {
  const match = /^(?:http:\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(text.trim())
  if (!match || Number(match[2]) > 65535) {
    throw new Error(`metrics.listener '${text}': expected http://host:port`)
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) }
}

export function startMetricsListener(options: {
  host: string
  port: number
  render: () => string
}): MetricsListener {
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    fetch(request) {
      const path = new URL(request.url).pathname
      if (request.method !== 'GET') return new Response('method not allowed\n', { status: 405 })
      if (path === '/metrics') {
        return new Response(options.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        })
      }
      if (path === '/')
        return new Response('Sluice metrics: GET /metrics (Prometheus text format)\n')
      return new Response('not found: try /metrics\n', { status: 404 })
    },
  })
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${server.port}`,
    stop: () => void server.stop(true),
  }
}
