#!/usr/bin/env python3
"""Compares two `docker save`-format image tars (BuildKit's via `docker save`, tsbuild's via --output type=docker):
image config fields, history, layer count and each layer's file tree. Prints one line per difference; exit 1 if any.
Usage: parity_compare.py REFERENCE.tar CANDIDATE.tar [--mtime EPOCH] | --list IMAGE.tar"""
import hashlib, io, json, sys, tarfile

FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels", "StopSignal",
          "Healthcheck", "Shell", "OnBuild", "ArgsEscaped"]

def load(path):
    t = tarfile.open(path)
    manifest = json.load(t.extractfile("manifest.json"))[0]
    config = json.load(t.extractfile(manifest["Config"]))
    layers = []
    for name in manifest["Layers"]:
        data = t.extractfile(name).read()
        layers.append(tree(data))
    return config, layers

def tree(data):
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as lt:
        for m in lt:
            name = m.name[2:] if m.name.startswith("./") else m.name.lstrip("/")
            name = name.rstrip("/") or "."
            h = ""
            if m.isreg():
                h = hashlib.sha256(lt.extractfile(m).read()).hexdigest()[:12]
            kind = {tarfile.REGTYPE: "f", tarfile.AREGTYPE: "f", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l",
                    tarfile.LNKTYPE: "h", tarfile.CHRTYPE: "c", tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p"}.get(m.type, str(m.type))
            xattrs = sorted(k for k in (m.pax_headers or {}) if k.startswith("SCHILY.xattr."))
            out[name] = dict(type=kind, mode=oct(m.mode & 0o7777), uid=m.uid, gid=m.gid, size=m.size if m.isreg() else 0,
                             sha=h, link=m.linkname, mtime=int(m.mtime), xattrs=",".join(xattrs))
    return out

def main():
    if sys.argv[1] == "--list":  # one image's layers, to see what the other tool made when only one succeeded
        for i, layer in enumerate(load(sys.argv[2])[1][1:], 1):
            for p, e in sorted(layer.items()):
                print(f"  layer {i}: {p} {e['type']} {e['mode']} {e['uid']}:{e['gid']} {e['size']} {e['sha']} {e['link']}")
        return
    ref, cand = sys.argv[1], sys.argv[2]
    # Context files carry this mtime: where either tool shows it, both must (BuildKit keeps COPY sources' mtimes).
    kept = int(sys.argv[sys.argv.index("--mtime") + 1]) if "--mtime" in sys.argv else None
    rc, rl = load(ref)
    cc, cl = load(cand)
    diffs = []
    r, c = rc.get("config", {}), cc.get("config", {})
    for f in FIELDS:
        if r.get(f) != c.get(f):
            diffs.append(f"config.{f}: buildkit={json.dumps(r.get(f))} tsbuild={json.dumps(c.get(f))}")
    for f in ["architecture", "os", "variant"]:
        if rc.get(f) != cc.get(f):
            diffs.append(f"{f}: buildkit={rc.get(f)} tsbuild={cc.get(f)}")
    rh, ch = rc.get("history", []), cc.get("history", [])
    known = []
    if len(rh) == len(ch):
        # BuildKit 0.8 kept a step's empty layer (0.8 also leaves mount-stub dirs in a RUN that changed nothing);
        # current BuildKit drops empty layers and marks the step empty_layer (exporter normalizeLayersAndHistory).
        rh = [dict(h) for h in rh]
        li = 0
        for a, b in zip(rh, ch):
            if a.get("empty_layer"):
                continue
            if b.get("empty_layer") and li < len(rl) and all(e["type"] == "d" for e in rl[li].values()):
                known.append(f"history {a.get('created_by', '')[:40]!r}: empty layer kept by buildkit 0.8")
                a["empty_layer"] = True
                del rl[li]
                continue
            li += 1
    for i in range(min(len(rh), len(ch))):
        a, b = rh[i].get("created_by", ""), ch[i].get("created_by", "")
        # HEALTHCHECK's history prints Go's %v of the health config; StartInterval (5th field) exists since 2023.
        if a.startswith("HEALTHCHECK ") and a != b and a == b.replace(' "0s" \'', ' \'', 1):
            known.append(f"history[{i}]: HEALTHCHECK without StartInterval (buildkit 0.8)")
            rh[i] = dict(rh[i], created_by=b)
    if len(rh) != len(ch):
        diffs.append(f"history count: buildkit={len(rh)} tsbuild={len(ch)}")
    for i in range(max(len(rh), len(ch))):
        a = rh[i] if i < len(rh) else {}
        b = ch[i] if i < len(ch) else {}
        for k in ["created_by", "empty_layer", "comment"]:
            if a.get(k, False if k == "empty_layer" else None) != b.get(k, False if k == "empty_layer" else None):
                diffs.append(f"history[{i}].{k}: buildkit={json.dumps(a.get(k))} tsbuild={json.dumps(b.get(k))}")
    # Which history entry made each layer, to tell RUN layers apart.
    made_by = [h.get("created_by", "") for h in rh if not h.get("empty_layer")]
    parents = []
    if len(rl) != len(cl):
        diffs.append(f"layer count: buildkit={len(rl)} tsbuild={len(cl)}")
    for i in range(min(len(rl), len(cl))):
        a, b = rl[i], cl[i]
        for p in sorted(set(a) | set(b)):
            if p not in b and a[p]["type"] == "d" and i < len(made_by) and made_by[i].startswith("RUN ") \
                    and not any(q.startswith(p + "/") and q in b for q in a):
                # BuildKit 0.8 (dockerd 20.10) leaves the parents of RUN mount stubs (/etc of /etc/hosts, mount
                # targets, when nothing else below them changed) in the layer; current BuildKit removes stubs and restores parent mtimes (moby/buildkit#3148).
                known.append(f"layer {i}: {p}: mount-stub dir only in buildkit 0.8")
            elif p not in b and a[p]["type"] == "d" and any(q.startswith(p + "/") and q in b for q in a):
                # containerd's ChangeWriter (BuildKit 0.8 and current) writes every ancestor dir of a change.
                parents.append(f"{i}:{p}")
            elif p not in b:
                diffs.append(f"layer {i}: {p}: only in buildkit {a[p]}")
            elif p not in a:
                diffs.append(f"layer {i}: {p}: only in tsbuild {b[p]}")
            else:
                # mtimes are compared where they come from a source (the context's fixed time, an archive, a URL's
                # Last-Modified, a base image), not where a step made the entry (build time differs per tool).
                old = lambda t: kept is not None and t < kept + 366 * 86400 * 3
                keys = [k for k in a[p] if k != "mtime" or old(a[p]["mtime"]) or old(b[p]["mtime"])]
                if a[p]["type"] == "d" and "mtime" in keys and b[p]["mtime"] == kept:
                    # fsutil in BuildKit 0.8 set a copied dir's times before copying its children; current fsutil
                    # sets them after, keeping the source dir's mtime.
                    keys.remove("mtime")
                    known.append(f"layer {i}: {p}: copied dir mtime (buildkit 0.8 bug)")
                if p.split("/")[-1].startswith(".wh."):
                    # Whiteout and opaque markers: dockerd's `docker save` re-tars its overlay2 diff (0600 markers,
                    # hardlinked, save-time mtimes); BuildKit's own layers write them mode 0 at diff time. Only
                    # their presence means anything.
                    keys = [k for k in keys if k in ("type",)]
                d = {k: (a[p][k], b[p][k]) for k in keys if a[p][k] != b[p][k]}
                if d:
                    diffs.append(f"layer {i}: {p}: " + ", ".join(f"{k} buildkit={x} tsbuild={y}" for k, (x, y) in d.items()))
    if parents:
        diffs.append(f"unchanged ancestor dirs only in buildkit's layers ({len(parents)}): " + " ".join(parents[:8])
                     + (" ..." if len(parents) > 8 else ""))
    for d in diffs:
        print("  " + d)
    if known:
        print(f"  ({len(known)} known BuildKit 0.8 differences ignored)")
    sys.exit(1 if diffs else 0)

main()
