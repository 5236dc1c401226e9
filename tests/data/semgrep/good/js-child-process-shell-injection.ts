// Good: fixed programs with argument arrays; literal commands.  good: js-child-process-shell-injection
import { exec, execFile, spawn } from "child_process";

export function archive(folder: string): void {
  execFile("tar", ["czf", "out.tgz", folder]);
}

export function list(): void {
  exec("ls -l");
}

export function logSince(ref: string): void {
  spawn("git", ["log", ref]);
}

export function firstMatch(re: RegExp, text: string): RegExpExecArray | null {
  return re.exec(`${text}`);
}
