/** /etc/hosts and /etc/resolv.conf for a RUN, written outside the rootfs and bind-mounted (never in a layer). */

/** Used when the host has no /etc/resolv.conf, as Docker and BuildKit do. */
const DEFAULT_RESOLV_CONF = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";

/** One `--add-host` entry. */
export interface ExtraHost {
  host: string;
  ip: string;
}

/** BuildKit's generated hosts file: localhost names plus the container's hostname, then `--add-host` entries. */
export function hostsFile(hostname: string, extra: ExtraHost[] = []): string {
  return `127.0.0.1\tlocalhost ${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n` +
    extra.map((e) => `${e.ip}\t${e.host}\n`).join("");
}

/** The host's resolv.conf, or public resolvers when it has none. */
export async function resolvConf(): Promise<string> {
  try {
    const text = await Deno.readTextFile("/etc/resolv.conf");
    return /^\s*nameserver\s/m.test(text) ? text : DEFAULT_RESOLV_CONF;
  } catch {
    return DEFAULT_RESOLV_CONF;
  }
}
