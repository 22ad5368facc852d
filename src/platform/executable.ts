import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Whether `path` is an executable regular file. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Where `command` would be found the way execvp finds it: a name with a slash is taken as a path
 * (relative to `cwd`), a bare name is looked up on PATH. undefined when there is none.
 */
export function findExecutable(
  command: string,
  pathEnv: string | undefined,
  cwd: string,
  isExecutable: (path: string) => boolean = isExecutableFile,
): string | undefined {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : join(cwd, command);
    return isExecutable(path) ? path : undefined;
  }
  for (const dir of (pathEnv ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, command);
    if (isExecutable(path)) return path;
  }
  return undefined;
}
