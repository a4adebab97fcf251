// Per-run directories: a writable work dir owned by the run's uid and a root-owned read-only copy.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SandboxError, type FileTree } from "./types.ts";

const ROOT = path.join(os.tmpdir(), "arbiter-sandbox");

export interface RunDirs {
  root: string;
  work: string;
  readonly: string;
}

/** Creates fresh dirs; `uid` (when we are root) owns the work dir, the copy stays root's. */
export function makeRunDirs(files: FileTree, readonlyFiles: FileTree, uid?: number): RunDirs {
  fs.mkdirSync(ROOT, { recursive: true, mode: 0o711 });
  fs.chmodSync(ROOT, 0o711); // traversable, not listable: runs cannot find each other
  const root = fs.mkdtempSync(path.join(ROOT, "run-"));
  fs.chmodSync(root, 0o711);
  const work = path.join(root, "work");
  const ro = path.join(root, "ro");
  fs.mkdirSync(work, { mode: 0o700 });
  fs.mkdirSync(ro, { mode: 0o750 });
  writeTree(work, files);
  writeTree(ro, readonlyFiles);
  if (uid !== undefined) {
    chownTree(work, uid);
    fs.chownSync(ro, 0, uid); // group = the run's gid: only this run may read its tests
  } else {
    fs.chmodSync(ro, 0o755);
  }
  return { root, work, readonly: ro };
}

/** fs.rm never follows symlinks: links planted in the work dir are removed, not their targets. */
export function removeRunDirs(dirs: RunDirs): void {
  fs.rmSync(dirs.root, { recursive: true, force: true, maxRetries: 3 });
}

function writeTree(dir: string, tree: FileTree): void {
  for (const [rel, content] of Object.entries(tree)) {
    const norm = path.posix.normalize(rel);
    if (rel === "" || path.posix.isAbsolute(rel) || norm.startsWith("..") || norm.includes("\0")) {
      throw new SandboxError("SANDBOX_BAD_REQUEST", `file path ${JSON.stringify(rel)} must be relative and stay inside the work dir`);
    }
    const target = path.join(dir, norm);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    // "wx" = O_CREAT|O_EXCL: never writes through an existing file or symlink.
    fs.writeFileSync(target, content, { flag: "wx", mode: 0o644 });
  }
}

function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const ent of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    fs.lchownSync(path.join(ent.parentPath, ent.name), uid, uid);
  }
}
