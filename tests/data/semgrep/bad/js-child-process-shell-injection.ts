// Bad: shell commands assembled from variables.
import * as cp from "child_process";
import { exec, execSync } from "child_process";

export function archive(folder: string): void {
  exec(`tar czf out.tgz ${folder}`); // expect: js-child-process-shell-injection
}

export function logSince(ref: string): string {
  return execSync("git log " + ref).toString(); // expect: js-child-process-shell-injection
}

export function grep(pattern: string): void {
  cp.exec("grep " + pattern + " *.log"); // expect: js-child-process-shell-injection
}

export function run(command: string): void {
  cp.spawn(command, [], { shell: true }); // expect: js-child-process-shell-injection
}
