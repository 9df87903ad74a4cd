// Runs one command and ends it when whoever started this watchdog goes away: the parent holds our stdin, and
// the kernel closes that pipe when the parent exits for any reason (a crash, SIGKILL, a test worker torn
// down), so a server started for a test or for `npm start` never outlives it. Plain JavaScript, so plain
// `node` runs it. argv[2]: JSON { command, args, uid?, gid?, cwd?, stopSignal?, graceMs? }.
import { spawn } from "node:child_process";

const spec = JSON.parse(process.argv[2] ?? "{}");
const child = spawn(spec.command, spec.args ?? [], {
  stdio: ["ignore", "inherit", "inherit"],
  cwd: spec.cwd,
  uid: spec.uid,
  gid: spec.gid,
  env: process.env,
});
let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  child.kill(spec.stopSignal ?? "SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), spec.graceMs ?? 4000).unref();
}
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
child.on("error", (error) => {
  process.stderr.write(`cannot start ${spec.command}: ${error.message}\n`);
  process.exit(127);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
