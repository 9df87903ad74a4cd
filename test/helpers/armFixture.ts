import { ArmEmulator, type ArmEmulatorOptions } from "../../local/arm/armEmulator.js";
import { TEST_CERT_DIR } from "./keyVaultFixture.js";

/** The ARM emulator on loopback with the tests' certificate. */
export async function startArm(options: ArmEmulatorOptions = {}): Promise<ArmEmulator> {
  return new ArmEmulator({ certDir: TEST_CERT_DIR, ...options }).start();
}
