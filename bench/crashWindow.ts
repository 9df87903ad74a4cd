import { silentLogger } from "../src/logging/logger.js";
import { SimulatedCrash } from "../src/errors.js";
import { resumeOpenRotations, RESUME_SCHEDULE } from "../src/rotation/resumeOpenRotations.js";
import { startRotationStack } from "../test/helpers/rotationStack.js";
import { startSqlFixture } from "../test/helpers/sqlFixture.js";

/** functions/resumeRotations.ts runs on RESUME_SCHEDULE ("*\/20 * * * * *"): every 20 s of the wall clock. */
const TIMER_PERIOD_MS = Number(/^\*\/(\d+) /.exec(RESUME_SCHEDULE)?.[1] ?? 20) * 1000;
/** The production default (config.ts), not the tests' 15 s. */
const LEASE_SECONDS = 30;

export interface CrashWindow {
  /** Seconds from the crash until the latest version works again, one per sample. */
  samples: number[];
  /** Milliseconds between apply and commit in an uninterrupted rotation (the window without a crash). */
  normalWindowMs: number;
  /** LEASE_SECONDS + the timer's period: the bound the README states (plus the resume's own run time). */
  boundSeconds: number;
}

/**
 * Single credential (a `sql-login` secret against the TDS fixture): a run dies after apply and verify, before
 * its commit; from then on the latest version no longer logs in. The resume timer runs on its real schedule
 * (every 20 s of the wall clock) against a real 30 s lease; the latest version is tried every 250 ms until it
 * logs in again. Baseline: the same window (apply to commit) in a rotation that does not crash.
 */
export async function crashWindow(samples: number): Promise<CrashWindow> {
  const [stack, sql] = await Promise.all([startRotationStack({ vaultName: "bench" }), startSqlFixture()]);
  const env = { LEASE_SECONDS: String(LEASE_SECONDS) };
  try {
    const arrange = async (id: string): Promise<{ name: string; login: string; version: string }> => {
      const login = `bench_${id}`;
      sql.server.addLogin({ name: login, password: `Old-${id}-1a` });
      const set = await stack.kv.setSecret(`single-${id}`, `Old-${id}-1a`, {
        tags: { CredentialId: login, ProviderAddress: sql.address(), RotatorType: "sql-login" },
      });
      return { name: set.name, login, version: set.properties.version as string };
    };
    const latestWorks = async (name: string, login: string): Promise<boolean> =>
      sql.canLogin(login, (await stack.kv.getSecret(name)).value as string);

    // Baseline: apply -> commit written, without a crash.
    let applyAt = 0;
    let committedAt = 0;
    const timed = await stack.app({
      logger: silentLogger,
      env,
      checkpoint: (step) => {
        if (step === "apply") applyAt = performance.now();
        if (step === "audit-keep") committedAt = performance.now();
      },
    });
    const base = await arrange("base");
    await timed.engine.rotate({ vault: "bench", secret: base.name, trigger: "cli", force: true });
    const normalWindowMs = committedAt - applyAt;

    const healthy = await stack.app({ logger: silentLogger, env });
    const measured: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const target = await arrange(`crash${i}`);
      const crashing = await stack.app({
        logger: silentLogger,
        env,
        checkpoint: (step, request) => {
          if (step === "commit" && request.secret === target.name) throw new SimulatedCrash(step);
        },
      });
      await crashing.engine
        .rotate({ vault: "bench", secret: target.name, trigger: "cli", force: true })
        .catch((error: unknown) => {
          if (!(error instanceof SimulatedCrash)) throw error;
        });
      const crashedAt = performance.now();
      if (await latestWorks(target.name, target.login)) throw new Error("no lockout after the crash?");
      // The timer, on the wall clock's multiples of its period, as the Functions host fires an NCRONTAB timer.
      let timer: NodeJS.Timeout | undefined;
      let tick: Promise<unknown> = Promise.resolve();
      const schedule = (): void => {
        timer = setTimeout(
          () => {
            tick = resumeOpenRotations(healthy.engine, healthy.openRotations).finally(schedule);
          },
          TIMER_PERIOD_MS - (Date.now() % TIMER_PERIOD_MS),
        );
      };
      schedule();
      while (!(await latestWorks(target.name, target.login))) await new Promise((r) => setTimeout(r, 250));
      measured.push((performance.now() - crashedAt) / 1000);
      await tick;
      clearTimeout(timer);
    }
    return {
      samples: measured,
      normalWindowMs,
      boundSeconds: LEASE_SECONDS + TIMER_PERIOD_MS / 1000,
    };
  } finally {
    await Promise.all([stack.stop(), sql.stop()]);
  }
}

/** The row `npm run bench` writes into bench/RESULTS.md. */
export async function crashWindowRow(samples = 2): Promise<{
  name: string;
  measured: string;
  baseline: string;
  ratio: number;
  goal: string;
}> {
  const r = await crashWindow(samples);
  const worst = Math.max(...r.samples);
  return {
    name:
      `single credential (sql-login), run killed between apply and commit: seconds until the latest version logs in ` +
      `again, through the resume timer (every ${TIMER_PERIOD_MS / 1000} s) after the dead run's ${LEASE_SECONDS} s lease; ` +
      `${r.samples.length} crashes at random timer phases; baseline: the same window in a rotation that does not crash`,
    measured: `${r.samples.map((s) => s.toFixed(1)).join(" s, ")} s (worst ${worst.toFixed(1)} s; stated bound ${r.boundSeconds} s + the resume run)`,
    baseline: `${r.normalWindowMs.toFixed(0)} ms`,
    ratio: (worst * 1000) / r.normalWindowMs,
    goal: "worst < 60 s",
  };
}
