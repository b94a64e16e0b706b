/**
 * What the LayerStore suites share: which snapshotters work here, a store per test, base layers and a tree listing
 * to compare snapshots by.
 */
import { gzip, tarBytes, type TestEntry } from "../test/util/layer_tar.ts";
import { sha256Digest } from "./content_store.ts";
import type { SnapshotterKind } from "./meta.ts";
import { inUserNamespace, isMountPoint } from "./mount.ts";
import { LayerDescriptor, LayerStore } from "./mod.ts";
import { join } from "./path.ts";
import { probeSnapshotter } from "./probe.ts";

export const userns = inUserNamespace();
const probeDir = await Deno.makeTempDir({ prefix: "tsbuild-probe-" });
export const best = await probeSnapshotter(probeDir);
await Deno.remove(probeDir, { recursive: true });
export const order: SnapshotterKind[] = ["overlay", "fuse-overlayfs", "native"];
// Kinds after the best one are fallbacks and always work when a better one does (fuse needs /dev/fuse, checked below).
const fuseWorks = await (async () => {
  if (best === "fuse-overlayfs") return true;
  if (best === "native") return false;
  try {
    const f = await Deno.open("/dev/fuse", { read: true, write: true });
    f.close();
    return true;
  } catch {
    return false;
  }
})();
export const available = (k: SnapshotterKind) =>
  order.indexOf(k) >= order.indexOf(best) && (k !== "fuse-overlayfs" || fuseWorks);

export async function withStore(kind: SnapshotterKind, fn: (s: LayerStore, root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: `tsbuild-layers-${kind}-` });
  try {
    await fn(await LayerStore.open(root, { snapshotter: kind }), root);
  } finally {
    for (const e of Deno.readDirSync(join(root, "mounts"))) {
      const mp = join(root, "mounts", e.name);
      if (await isMountPoint(mp)) await new Deno.Command("umount", { args: ["-l", mp] }).output();
    }
    await Deno.remove(root, { recursive: true });
  }
}

export async function addLayer(store: LayerStore, entries: TestEntry[]): Promise<LayerDescriptor> {
  const tar = await tarBytes(entries);
  const { digest, size } = await store.content.writeBytes(await gzip(tar));
  return { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest, size, diffID: sha256Digest(tar) };
}

/** path → "type mode uid:gid [nlink] content-or-target", without mtimes (they are checked separately). */
export async function tree(root: string, rel = "", out: Record<string, string> = {}): Promise<Record<string, string>> {
  const names = [];
  for await (const e of Deno.readDir(rel ? join(root, rel) : root)) names.push(e.name);
  for (const name of names.sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const abs = join(root, p);
    const st = await Deno.lstat(abs);
    const meta = `${((st.mode ?? 0) & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isDirectory) {
      out[p] = `dir ${meta}`;
      await tree(root, p, out);
    } else if (st.isSymlink) out[p] = `symlink ${meta} -> ${await Deno.readLink(abs)}`;
    else if (st.isFile) out[p] = `file ${meta} n${st.nlink} ${await Deno.readTextFile(abs)}`;
    else out[p] = `special ${meta} ${st.isCharDevice ? "c" : st.isFifo ? "p" : "?"}${st.rdev}`;
  }
  return out;
}

export const long = "deep/" + "d".repeat(120) + "/file-with-a-long-name";
export const base1: TestEntry[] = [
  { name: "bin/", type: "directory" },
  { name: "bin/tool", mode: 0o4755, data: "tool" },
  { name: "bin/link", type: "link", linkname: "bin/tool" },
  { name: "bin/sym", type: "symlink", linkname: "tool" },
  { name: "home/user/", type: "directory", mode: 0o700, uid: 1000, gid: 1000 },
  { name: "home/user/f", mode: 0o640, uid: 1000, gid: 1000, data: "mine" },
  { name: "tmp/", type: "directory", mode: 0o1777 },
  { name: long, data: "long" },
  { name: "ünïcode/ファイル", data: "utf8" },
  { name: "data/x", data: "x", pax: { "SCHILY.xattr.user.note": "hello" } },
  { name: "dir/", type: "directory" },
  { name: "dir/a", data: "a" },
  { name: "dir/sub/c", data: "c" },
  { name: "gone", data: "gone" },
  { name: "gonedir/x", data: "x" },
  { name: "fifo", type: "fifo" },
];
export const base2: TestEntry[] = [
  { name: ".wh.gone" },
  { name: ".wh.gonedir" },
  { name: "dir/", type: "directory", mode: 0o750 },
  { name: "dir/.wh..wh..opq" },
  { name: "dir/new", data: "new" },
  { name: "hl", type: "link", linkname: "bin/tool" },
  { name: "bin/sym", data: "now a file" },
];
