import type { ArmEmulator } from "../../local/arm/armEmulator.js";
import type { GraphEmulator } from "../../local/graph/graphEmulator.js";
import { startArm } from "./armFixture.js";
import { graphEnv, startGraph } from "./graphFixture.js";
import { startPostgresFixture, type PostgresFixture } from "./postgresFixture.js";
import { startSqlFixture, type SqlFixture } from "./sqlFixture.js";

/** Every rotation target the tests have: PostgreSQL, the TDS fixture, the ARM and Graph emulators. */
export interface TargetFixtures {
  pg: PostgresFixture;
  sql: SqlFixture;
  arm: ArmEmulator;
  graph: GraphEmulator;
  /** App settings that point the engine at them. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTargetFixtures(): Promise<TargetFixtures> {
  const [pg, sql, arm, graph] = await Promise.all([
    startPostgresFixture(),
    startSqlFixture(),
    startArm(),
    startGraph(),
  ]);
  return {
    pg,
    sql,
    arm,
    graph,
    env: { ARM_ENDPOINT: arm.url, ...graphEnv(graph) },
    stop: async () => {
      await Promise.all([pg.stop(), sql.stop(), arm.stop(), graph.stop()]);
    },
  };
}
