/**
 * Docker's `USER` / `--chown` resolution (moby/sys/user `GetExecUser` semantics, as runc and BuildKit use):
 * names are looked up in the rootfs' /etc/passwd and /etc/group, numeric ids need no entry, and supplementary groups
 * come from /etc/group only when the group is not given explicitly.
 */
import { UserNotFoundError } from "./errors.ts";
import { readRootfsText } from "./rootfs_path.ts";

/** A resolved user: what the container process runs as. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

function parseId(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_ID ? n : undefined;
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.trim().split(":");
    if (f.length < 6 || line.startsWith("#")) continue;
    const uid = parseId(f[2]), gid = parseId(f[3]);
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5] });
  }
  return out;
}

function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.trim().split(":");
    if (f.length < 3 || line.startsWith("#")) continue;
    const gid = parseId(f[2]);
    if (gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? "").split(",").filter((m) => m !== "") });
  }
  return out;
}

/**
 * Resolves `spec` (`name`, `uid`, `name:group`, `uid:gid`, ...; empty means root) against `rootfs`.
 * Throws {@link UserNotFoundError} naming the user or group when a name has no entry.
 */
export async function resolveUser(rootfs: string, spec: string): Promise<ResolvedUser> {
  const [userArg, groupArg = ""] = spec.trim() === "" ? ["0"] : spec.trim().split(/:(.*)/s, 2);
  const passwd = parsePasswd(await readRootfsText(rootfs, "/etc/passwd"));
  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: "/" };

  const userId = parseId(userArg);
  const entry = passwd.find((p) => p.name === userArg) ??
    (userId !== undefined ? passwd.find((p) => p.uid === userId) : undefined);
  if (entry) {
    result.uid = entry.uid;
    result.gid = entry.gid;
    result.home = entry.home;
  } else if (userId !== undefined) {
    result.uid = userId;
  } else {
    throw new UserNotFoundError(spec, "user", userArg);
  }
  if (groupArg === "" && !entry) return result;

  const groups = parseGroup(await readRootfsText(rootfs, "/etc/group"));
  if (groupArg !== "") {
    const g = groups.find((g) => g.name === groupArg) ?? groups.find((g) => String(g.gid) === groupArg);
    const groupId = parseId(groupArg);
    if (g) result.gid = g.gid;
    else if (groupId !== undefined) result.gid = groupId;
    else throw new UserNotFoundError(spec, "group", groupArg);
    return result;
  }
  // Implicit group: the user's memberships become supplementary groups, as runc/BuildKit do.
  const extra = groups.filter((g) => g.members.includes(entry!.name)).map((g) => g.gid);
  result.additionalGids = [...new Set(extra)];
  return result;
}
