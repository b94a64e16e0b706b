/**
 * `.dockerignore` / `--exclude` matching with moby/patternmatcher semantics.
 *
 * Written here rather than taken from @balena/dockerignore because that package ports Docker's older fileutils
 * (case-insensitive by default, no `**` zero-directory rule of patternmatcher, no way to ask whether an excluded
 * directory may still hold re-included paths, which the context walk needs to stay one-lstat-per-file).
 * @module
 */
import { cleanPath, globBody } from "./glob.ts";

interface Pattern {
  exclusion: boolean;
  re: RegExp;
  dirs: string[];
  cleaned: string;
}

/** Translates a cleaned pattern like patternmatcher's `compile`: `**` crosses directories, `*`/`?` do not. */
function compile(p: string): RegExp {
  let re = "";
  let i = 0;
  while (i < p.length) {
    if (p[i] === "*" && p[i + 1] === "*") {
      i += 2;
      if (p[i] === "/") i++;
      re += i >= p.length ? ".*" : "(.*/)?";
      continue;
    }
    // Hand everything up to the next `**` to the Go-glob translator (keeps classes and escapes intact).
    let j = i;
    while (j < p.length && !(p[j] === "*" && p[j + 1] === "*")) {
      if (p[j] === "\\") j++;
      j++;
    }
    re += globBody(p.slice(i, Math.min(j, p.length)));
    i = j;
  }
  return new RegExp("^" + re + "$");
}

/** An ordered list of patterns where the last matching one wins and `!` re-includes. */
export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  readonly hasExclusions: boolean;

  constructor(patterns: string[]) {
    let excl = false;
    for (let raw of patterns) {
      raw = raw.trim();
      if (raw === "") continue;
      let exclusion = false;
      if (raw.startsWith("!")) {
        exclusion = true;
        raw = raw.slice(1).trim();
        excl = true;
      }
      let p = cleanPath(raw);
      if (p.length > 1 && p.startsWith("/")) p = p.slice(1);
      if (p === "" || p === "/") p = ".";
      this.patterns.push({ exclusion, re: compile(p), dirs: p.split("/"), cleaned: p });
    }
    this.hasExclusions = excl;
  }

  /** `MatchesOrParentMatches`: whether `file` (slash-relative) or one of its parent directories is matched. */
  matches(file: string): boolean {
    file = cleanPath(file);
    const parent = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
    const parentDirs = parent.split("/");
    let matched = false;
    for (const pat of this.patterns) {
      if (pat.exclusion !== matched) continue;
      let m = pat.re.test(file);
      if (!m && parent !== ".") {
        for (let i = 1; i <= parentDirs.length && !m; i++) m = pat.re.test(parentDirs.slice(0, i).join("/"));
      }
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }

  /** Whether a `!` pattern could re-include something below `dir`, so an excluded dir must still be walked. */
  mayIncludeBelow(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const parts = cleanPath(dir).split("/");
    for (const pat of this.patterns) {
      if (!pat.exclusion) continue;
      if (pat.cleaned.includes("**")) return true;
      if (pat.dirs.length <= parts.length) continue;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) ok = compile(pat.dirs[i]).test(parts[i]);
      if (ok) return true;
    }
    return false;
  }
}
