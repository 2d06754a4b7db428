/**
 * Files for tests: whether a path exists (a file another process writes, a documented or built path),
 * and a throwaway tree of files written for one test.
 *
 * Requires `--allow-read`, and `--allow-write` for {@link withFiles}.
 *
 * @module
 */

/** True when `path` exists (any type; a symlink counts by its target), false when stat fails. */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `files` (path relative to a fresh temp dir → text, folders made as needed), runs `fn` on the
 * dir, and removes the dir afterwards, also when `fn` fails.
 */
export async function withFiles(
  prefix: string,
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
