// Bad: the node: specifier, destructured and namespace imports.
import * as proc from "node:child_process";
import { execSync } from "node:child_process";

export function stat(path) {
  return execSync(`stat ${path}`); // expect: js-child-process-shell-injection
}

export function remove(path) {
  proc.exec("rm -rf " + path); // expect: js-child-process-shell-injection
}

export function shell(command) {
  proc.spawn(command, { shell: true }); // expect: js-child-process-shell-injection
}
