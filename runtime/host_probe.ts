/** Small probes of the host shared by `inspectHost` and `enterNamespace`: ids, subordinate ranges, tools, sysctls. */

/** An /etc/subuid or /etc/subgid range. */
export interface SubIdRange {
  start: number;
  count: number;
}

/** Finds `name` in PATH; undefined when missing. */
export async function which(name: string): Promise<string | undefined> {
  const dirs = (Deno.env.get("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(":");
  for (const dir of [...dirs, "/usr/sbin", "/sbin"]) {
    try {
      const info = await Deno.stat(`${dir}/${name}`);
      if (info.isFile && (info.mode ?? 0) & 0o111) return `${dir}/${name}`;
    } catch {
      // not in this dir
    }
  }
  return undefined;
}

/** The login name of `uid` from /etc/passwd, else $USER, else the number. */
export async function userName(uid: number): Promise<string> {
  try {
    for (const line of (await Deno.readTextFile("/etc/passwd")).split("\n")) {
      const f = line.split(":");
      if (f.length >= 3 && f[2] === String(uid)) return f[0];
    }
  } catch {
    // no passwd: fall through
  }
  return Deno.env.get("USER") ?? String(uid);
}

/** The first range of `user` (by name or uid) in `file` (/etc/subuid or /etc/subgid). */
export async function subIdRange(file: string, user: string, uid: number): Promise<SubIdRange | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [who, start, count] = line.trim().split(":");
    if ((who === user || who === String(uid)) && Number(count) > 0) {
      return { start: Number(start), count: Number(count) };
    }
  }
  return undefined;
}

/** A sysctl's value, or undefined when the kernel has no such knob. */
export async function sysctl(name: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(`/proc/sys/${name.replaceAll(".", "/")}`)).trim();
  } catch {
    return undefined;
  }
}

export { probe } from "./process.ts";
