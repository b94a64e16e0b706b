/** The text `tsbuild doctor` prints. */
import type { HostReport } from "./host_report.ts";

function yes(b: boolean): string {
  return b ? "yes" : "no";
}

/** Renders `r` as aligned `key: value` lines followed by problems and fixes. */
export function formatHostReport(r: HostReport): string {
  const range = (x?: { start: number; count: number }) => x ? `${x.start}:${x.count}` : "none";
  const rows: [string, string][] = [
    [
      "user",
      `${r.user} (uid ${r.uid})${r.realRoot ? ", real root" : ""}${r.insideNamespace ? ", inside namespace" : ""}`,
    ],
    ["subuid range", range(r.subuid)],
    ["subgid range", range(r.subgid)],
    ...Object.entries(r.sysctls).map(([k, v]): [string, string] => [k, v ?? "(not present)"]),
    ["user namespaces allowed", yes(r.usernsAllowed)],
    ["unshare works", r.unshareWorks ? "yes" : `no (${r.unshareError ?? ""})`],
    ["seccomp", r.seccompMode === undefined ? "unknown" : ["off", "strict", "filter"][r.seccompMode] ?? "?"],
    ["seccomp blocks unshare", yes(r.seccompBlocksUnshare)],
    ["newuidmap", r.newuidmap ?? "missing"],
    ["newgidmap", r.newgidmap ?? "missing"],
    ["runc", r.runc ? `${r.runc.path} (${r.runc.version})` : "missing"],
    ["overlay usable", yes(r.overlayUsable)],
    ["fuse-overlayfs", r.fuseOverlayfs ?? "missing"],
    ["uid mapping", r.mapping],
    ["snapshotter", r.snapshotter],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${(k + ":").padEnd(width + 2)}${v}`);
  if (r.problems.length === 0) {
    lines.push("", "No problems found.");
  } else {
    lines.push("", `${r.problems.length} problem(s):`);
    for (const p of r.problems) lines.push(`  - ${p.what}`, `    fix: ${p.fix}`);
  }
  return lines.join("\n") + "\n";
}
