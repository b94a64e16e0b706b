/**
 * Every kind of filesystem change a RUN can make (issue #5), from the build to an independent reader: RUN steps
 * make files, dirs, symlinks, hardlinks (also to a file of a lower layer), an opaque dir (`rm -rf d && mkdir d`),
 * deletions, set-id and sticky bits, ownership inside the 65536-id range, long and non-ASCII names and a 20 MB
 * mostly-zero file; a last RUN lists the whole tree as it sees it. The pushed image is then unpacked with umoci and
 * its tree (type, mode, owner, content hash, link target, hardlink groups) must equal that listing. Root and
 * rootless.
 */
import { assert, assertEquals } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { skopeoInspectRaw, unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

/** Paths the listing RUN sees that are not the image's: run-time mounts and the listing itself. */
const RUNTIME_ONLY = ["/proc", "/sys", "/dev", "/etc/hosts", "/etc/resolv.conf", "/ctxmount", "/listing.txt"];

/**
 * One line per path, tab-separated: path, type (f/d/l), permission bits with set-id/sticky (octal), uid, gid, then
 * sha256 + size for files or the target for symlinks, then the inode (only to group hardlinks; dropped before
 * comparing). busybox has no `find -printf`, hence stat per path.
 */
const LIST_SH = `set -e
find / -xdev | LC_ALL=C sort | while IFS= read -r f; do
  case "$f" in ${RUNTIME_ONLY.map((p) => `${p}|${p}/*`).join("|")}) continue ;; esac
  meta=$(stat -c '%a\t%u\t%g' "$f")
  ino=$(stat -c %i "$f")
  if [ -L "$f" ]; then
    printf '%s\tl\t%s\t%s\t%s\n' "$f" "$meta" "$(readlink "$f")" "$ino"
  elif [ -d "$f" ]; then
    printf '%s\td\t%s\t-\t%s\n' "$f" "$meta" "$ino"
  elif [ -f "$f" ]; then
    printf '%s\tf\t%s\t%s:%s\t%s\n' "$f" "$meta" "$(sha256sum "$f" | cut -c1-64)" "$(stat -c %s "$f")" "$ino"
  else
    printf '%s\t?\t%s\t-\t%s\n' "$f" "$meta" "$ino"
  fi
done
`;

const DOCKERFILE = `FROM ${base}
# A lower layer for the next RUN to change, delete, hardlink to and make opaque.
RUN mkdir -p /t/opq/sub /t/gone-dir \\
 && echo lower > /t/opq/old && echo lower > /t/opq/sub/f && echo bye > /t/gone && echo bye > /t/gone-dir/x \\
 && echo lowerfile > /t/lowerfile && echo mod > /t/modme && echo meta > /t/chmodme
RUN set -e; cd /t; \\
  echo hello > file; printf '' > empty; mkdir -p dir/nested; echo n > dir/nested/f; \\
  ln -s file sym; ln -s /t/dir symdir; ln -s does-not-exist dangling; \\
  ln file hard1; ln file hard2; ln lowerfile lowerlink; ln /etc/passwd passwd-link; \\
  rm -rf opq && mkdir opq && echo new > opq/new; \\
  rm gone; rm -rf gone-dir; echo changed >> modme; chmod 0600 chmodme; \\
  echo s > suid && chmod 4755 suid; echo g > sgid && chmod 2711 sgid; \\
  mkdir sticky && chmod 1777 sticky; mkdir setgid-dir && chmod 2775 setgid-dir; \\
  echo o > owned && chown 1234:5678 owned && chmod 0640 owned; mkdir odir && chown 65534:65000 odir; \\
  ln -s file owned-sym && chown -h 4321:4321 owned-sym; \\
  n=$(head -c 200 /dev/zero | tr '\\0' x); echo long > "$n"; mkdir -p "deep/$n/$n"; echo deeper > "deep/$n/$n/$n"; \\
  echo unicode > 'héllo wörld'; echo jp > '日本語.txt'; mkdir 'dïr ü'; ln -s '日本語.txt' 'liên kết'; \\
  head -c 100000 /dev/urandom > big; dd if=/dev/zero of=big bs=1M seek=19 count=1 conv=notrunc 2>/dev/null; \\
  chmod 0751 dir; chmod 0444 file
RUN --mount=type=bind,target=/ctxmount sh /ctxmount/list.sh > /listing.txt
`;

interface Entry {
  line: string;
  inode: string;
}

function parseListing(text: string): Entry[] {
  return text.split("\n").filter((l) => l).map((l) => {
    const cols = l.split("\t");
    return { line: cols.slice(0, -1).join("\t"), inode: cols[cols.length - 1] };
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path);
  for await (const chunk of f.readable) h.update(chunk);
  return h.digest("hex");
}

/** The same listing as LIST_SH, of an unpacked rootfs on the host. */
async function listTree(rootfs: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const walk = async (rel: string) => {
    const host = join(rootfs, rel);
    const st = await Deno.lstat(host);
    const path = rel || "/";
    if (RUNTIME_ONLY.includes(path)) return;
    const meta = `${(st.mode! & 0o7777).toString(8)}\t${st.uid}\t${st.gid}`;
    const inode = String(st.ino);
    if (st.isSymlink) out.push({ line: `${path}\tl\t${meta}\t${await Deno.readLink(host)}`, inode });
    else if (st.isFile) out.push({ line: `${path}\tf\t${meta}\t${await sha256File(host)}:${st.size}`, inode });
    else if (st.isDirectory) {
      out.push({ line: `${path}\td\t${meta}\t-`, inode });
      for await (const e of Deno.readDir(host)) await walk(`${rel}/${e.name}`);
    } else out.push({ line: `${path}\t?\t${meta}\t-`, inode });
  };
  await walk("");
  return out;
}

/** Paths grouped by inode, groups of two or more only: the hardlinks. */
function linkGroups(entries: Entry[]): string[][] {
  const by = new Map<string, string[]>();
  for (const e of entries) {
    if (e.line.split("\t")[1] !== "f") continue;
    by.set(e.inode, [...(by.get(e.inode) ?? []), e.line.split("\t")[0]]);
  }
  return [...by.values()].filter((g) => g.length > 1).map((g) => g.sort()).sort();
}

/** A readable diff of two sorted line sets: what only one side has. */
function difference(seen: string[], unpacked: string[]): string {
  const a = new Set(seen), b = new Set(unpacked);
  return [
    ...seen.filter((l) => !b.has(l)).map((l) => `- in the RUN: ${l}`),
    ...unpacked.filter((l) => !a.has(l)).map((l) => `+ unpacked:  ${l}`),
  ].join("\n");
}

for (const as of ["root", "user"] as const) {
  Deno.test(`layers: every kind of change comes out of the registry as the RUN saw it (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": DOCKERFILE, "list.sh": LIST_SH });
    const store = await makeStore(as === "user" ? user : undefined);
    const ref = `${registry.host}/layers/${as}:1`;
    let rootfs: string | undefined;
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", "-t", ref, "--push", ctx], { as });
      assertEquals(r.code, 0, `build failed:\n${r.stderr.slice(-6000)}`);
      rootfs = await unpackWithUmoci(ref);

      const seen = parseListing(await Deno.readTextFile(join(rootfs, "listing.txt")));
      const unpacked = await listTree(rootfs);
      // The listing is not trivially empty or partial: it has what the RUN made.
      const seenLines = seen.map((e) => e.line).sort();
      for (const p of ["/t/big", "/t/opq/new", "/t/日本語.txt", "/t/héllo wörld", "/t/suid", "/bin/busybox"]) {
        assert(seenLines.some((l) => l.startsWith(`${p}\t`)), `the RUN's listing has ${p}`);
      }
      const unpackedLines = unpacked.map((e) => e.line).sort();
      assertEquals(unpackedLines.length, seenLines.length, difference(seenLines, unpackedLines));
      assertEquals(unpackedLines, seenLines, difference(seenLines, unpackedLines));

      // Hardlinks stay hardlinks, including the one to a file of a lower layer and to a base image file.
      const groups = linkGroups(unpacked);
      assertEquals(groups, linkGroups(seen));
      for (
        const g of [["/t/file", "/t/hard1", "/t/hard2"], ["/t/lowerfile", "/t/lowerlink"], [
          "/etc/passwd",
          "/t/passwd-link",
        ]]
      ) {
        assert(groups.some((x) => JSON.stringify(x) === JSON.stringify(g)), `hardlink group ${g.join(" ")}`);
      }
      // What the second RUN removed is gone (whiteouts and the opaque dir worked).
      for (const p of ["t/gone", "t/gone-dir", "t/opq/old", "t/opq/sub"]) {
        assert(!(await Deno.lstat(join(rootfs, p)).then(() => true, () => false)), `/${p} was removed`);
      }
      // The mostly-zero file has its full size, and the layers hold it compressed, not as 20 MB of zeroes.
      assertEquals((await Deno.lstat(join(rootfs, "t/big"))).size, 20 * 1024 * 1024);
      const stored = (await skopeoInspectRaw(ref)).layers.reduce((n: number, l: { size: number }) => n + l.size, 0);
      assert(stored < 5 * 1024 * 1024, `layers hold ${stored} bytes`);
    } finally {
      if (rootfs) await removeAll(join(rootfs, ".."));
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

Deno.test({
  name: "layers: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
