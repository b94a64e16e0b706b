/**
 * The one place that touches the HTTP stack, so the Node port can swap it: Deno's fetch with an HttpClient that
 * trusts an extra CA file on top of the default roots.
 */
export interface HttpTransport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  close(): void;
}

export function createTransport(opts: { caFile?: string } = {}): HttpTransport {
  let client: Deno.HttpClient | undefined;
  if (opts.caFile) client = Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(opts.caFile)] });
  return {
    // A stream body needs `duplex: "half"` in the fetch standard (Node's undici insists; Deno accepts it).
    fetch: (url, init) =>
      fetch(url, {
        ...init,
        ...(client ? { client } : {}),
        ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
      } as RequestInit),
    close: () => client?.close(),
  };
}
