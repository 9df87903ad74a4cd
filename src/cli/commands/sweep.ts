import { createWriteStream } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import type { AppConfig } from "../../config.js";
import type { RotationEngine } from "../../rotation/rotationEngine.js";
import { needsAttention, type ReportWriter } from "../../sweep/complianceReport.js";
import { HtmlReportWriter } from "../../sweep/htmlReportWriter.js";
import { JsonReportWriter } from "../../sweep/jsonReportWriter.js";
import { runSweep, type SweepProgress } from "../../sweep/runSweep.js";
import type { ThrottleSignal } from "../../vault/throttlePolicy.js";
import type { VaultGateway } from "../../vault/vaultGateway.js";
import { UsageError, type CliIo } from "../cliContext.js";

export interface SweepFlags {
  rotate: boolean;
  dryRun: boolean;
  report?: string;
  json: boolean;
}

/** `sweep <vault...> [--rotate] [--dry-run] [--report out.html|out.json]`: classify every secret, rotate what is due if asked. */
export async function sweepCommand(
  gateways: ReadonlyMap<string, VaultGateway>,
  config: AppConfig,
  engine: RotationEngine | undefined,
  throttle: ThrottleSignal | undefined,
  flags: SweepFlags,
  io: CliIo,
): Promise<number> {
  const writers: ReportWriter[] = [];
  if (flags.report) {
    const ext = path.extname(flags.report).toLowerCase();
    if (ext !== ".html" && ext !== ".json")
      throw new UsageError(`--report must end in .html or .json, not '${flags.report}'`);
    const stream = createWriteStream(path.resolve(io.cwd, flags.report));
    writers.push(ext === ".html" ? new HtmlReportWriter(stream) : new JsonReportWriter(stream));
  }
  const bar =
    io.isTTY && !flags.json
      ? new cliProgress.SingleBar(
          {
            format:
              "sweep {bar} {value} listed | {reported} reported | {rotated} rotated | {failed} failed | x{concurrency}",
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  let lastLine = 0;
  const onProgress = (p: SweepProgress): void => {
    if (bar) {
      bar.setTotal(Math.max(p.listed, 1));
      bar.update(p.listed, {
        reported: p.reported,
        rotated: p.rotated,
        failed: p.failed,
        concurrency: p.concurrency,
      });
    } else if (!flags.json && p.listed - lastLine >= 1000) {
      lastLine = p.listed;
      io.err(`sweep: ${p.listed} listed, ${p.reported} reported, ${p.rotated} rotated, ${p.failed} failed`);
    }
  };
  bar?.start(1, 0, { reported: 0, rotated: 0, failed: 0, concurrency: 0 });
  const summary = await runSweep({
    vaults: gateways,
    settings: config,
    rotate: flags.rotate,
    dryRun: flags.dryRun,
    ...(engine ? { engine } : {}),
    ...(throttle ? { throttle } : {}),
    trigger: "cli",
    writers,
    policy: config.policy,
    onProgress,
  }).finally(() => bar?.stop());
  if (flags.json) io.out(JSON.stringify(summary, null, 2));
  else {
    const states = Object.entries(summary.byState)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(", ");
    io.out(`${summary.total} secrets in ${gateways.size} vault(s): ${states || "none"}`);
    if (flags.rotate)
      io.out(
        flags.dryRun
          ? `${summary.wouldRotate} would be rotated (dry run)`
          : `${summary.rotated} rotated, ${summary.failed} failed`,
      );
    if (flags.report) io.out(`report written to ${flags.report}`);
  }
  return needsAttention(summary) ? 1 : 0;
}
