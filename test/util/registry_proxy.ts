/**
 * Proxies in front of a test registry, for auth and fault tests: an HTTP proxy whose hooks may answer instead of
 * the registry or rewrite its answers, and a TCP proxy that drops a connection once a byte count is crossed.
 *
 * @module
 */

export interface ProxyHooks {
  /** A Response to give instead of forwarding (401, 500, ...), or undefined to forward. */
  before?(req: Request, url: URL): Response | undefined | Promise<Response | undefined>;
  /** Rewrites the registry's answer (e.g. corrupts a blob). */
  after?(req: Request, url: URL, res: Response): Response | Promise<Response>;
}

export interface RunningProxy {
  host: string;
  url: string;
  /** `METHOD /path?query` of every request seen, in order. */
  requests: string[];
  stop(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 forwarding to `upstream` (an http:// URL), rewriting `Location` back to itself. */
export function startHttpProxy(upstream: string, hooks: ProxyHooks = {}): Promise<RunningProxy> {
  const requests: string[] = [];
  const ac = new AbortController();
  return new Promise((resolve) => {
    let self = "";
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: ac.signal,
      onListen: ({ port }) => {
        self = `http://127.0.0.1:${port}`;
        resolve({
          host: `127.0.0.1:${port}`,
          url: self,
          requests,
          stop: async () => {
            ac.abort();
            await server.finished;
          },
        });
      },
    }, async (req) => {
      const url = new URL(req.url);
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const early = await hooks.before?.(req, url);
      if (early) {
        await req.body?.cancel();
        return early;
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const res = await fetch(upstream + url.pathname + url.search, {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
      });
      const out = new Headers(res.headers);
      const loc = out.get("Location");
      if (loc) out.set("Location", loc.replace(upstream, self));
      const forwarded = new Response(req.method === "HEAD" ? null : res.body, { status: res.status, headers: out });
      return hooks.after ? await hooks.after(req, url, forwarded) : forwarded;
    });
  });
}

export interface TcpFaultProxy {
  host: string;
  /** How many connections were cut. */
  drops(): number;
  stop(): Promise<void>;
}

/**
 * A TCP proxy to `127.0.0.1:upstreamPort` that cuts the connection carrying the byte that crosses `upAfter`
 * (client→registry) or `downAfter` (registry→client) total bytes, `times` times (each cut re-arms the count).
 */
export function startTcpFaultProxy(
  upstreamPort: number,
  opts: { upAfter?: number; downAfter?: number; times?: number },
): TcpFaultProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let up = 0, down = 0, drops = 0;
  const times = opts.times ?? 1;
  const conns = new Set<Deno.Conn>();
  const pump = async (from: Deno.Conn, to: Deno.Conn, dir: "up" | "down", pair: Deno.Conn[]) => {
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        const limit = dir === "up" ? opts.upAfter : opts.downAfter;
        const count = dir === "up" ? (up += n) : (down += n);
        if (limit !== undefined && drops < times && count > limit) {
          drops++;
          if (dir === "up") up = 0;
          else down = 0;
          // Forward part of the chunk so the cut lands mid-message, then drop both sides.
          await to.write(buf.subarray(0, Math.floor(n / 2))).catch(() => {});
          break;
        }
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* the other side closed */ }
    for (const c of pair) {
      try {
        c.close();
      } catch { /* already closed */ }
      conns.delete(c);
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
      conns.add(client).add(upstream);
      const pair = [client, upstream];
      pump(client, upstream, "up", pair);
      pump(upstream, client, "down", pair);
    }
  })().catch(() => {});
  return {
    host: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    drops: () => drops,
    stop: async () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
    },
  };
}
