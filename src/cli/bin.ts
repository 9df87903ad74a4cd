import { runCli } from "./main.js";

/** The `akv-rotator` executable. Exits as soon as the command is done: idle keep-alive connections of the SDK clients must not hold it open. */
const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTTY: Boolean(process.stderr.isTTY),
  env: process.env,
  cwd: process.cwd(),
});
process.exit(code);
