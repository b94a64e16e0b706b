import { join } from "./path.ts";
import type { SnapshotterKind } from "./meta.ts";
import { inUserNamespace, type Mount, mountAt, unmount } from "./mount.ts";
import { overlayFeatureOptions } from "./snapshotter.ts";
import { hostPid } from "../runtime/mod.ts";

/**
 * Finds the best snapshotter that works here by trying it: kernel overlay, then fuse-overlayfs, then native copies.
 * A try mounts a two-dir overlay in `dir`, checks a lower file shows through and that deleting it hides it.
 */
export async function probeSnapshotter(dir: string): Promise<SnapshotterKind> {
  if (await tryOverlay(dir, "overlay")) return "overlay";
  if (await tryOverlay(dir, "fuse-overlayfs")) return "fuse-overlayfs";
  return "native";
}

async function tryOverlay(dir: string, kind: "overlay" | "fuse-overlayfs"): Promise<boolean> {
  const base = join(dir, `probe-${hostPid()}-${crypto.randomUUID()}`);
  const merged = join(base, "merged");
  let mounted = false;
  try {
    for (const d of ["lower", "upper", "work", "merged"]) await Deno.mkdir(join(base, d), { recursive: true });
    await Deno.writeTextFile(join(base, "lower", "f"), "probe");
    const options = [
      `lowerdir=${join(base, "lower")}`,
      `upperdir=${join(base, "upper")}`,
      `workdir=${join(base, "work")}`,
    ];
    const m: Mount = kind === "overlay"
      ? { type: "overlay", source: "overlay", options: [...options, ...overlayFeatureOptions(inUserNamespace())] }
      : { type: "fuse3.fuse-overlayfs", source: "overlay", options };
    await mountAt(m, merged, base);
    mounted = true;
    if ((await Deno.readTextFile(join(merged, "f"))) !== "probe") return false;
    await Deno.remove(join(merged, "f"));
    try {
      await Deno.lstat(join(merged, "f"));
      return false;
    } catch {
      return true;
    }
  } catch {
    return false;
  } finally {
    if (mounted) await unmount(merged).catch(() => {});
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}
