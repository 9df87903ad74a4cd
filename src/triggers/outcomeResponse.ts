import type { HttpResponseInit } from "@azure/functions";
import type { RotationOutcome } from "../rotation/rotationOutcome.js";
import { json, problem } from "./problemDetails.js";

/**
 * Maps a rotation outcome to the HTTP answer (README, HTTP API): 200 rotated or skipped; 404 unknown secret;
 * 409 busy; 422 not configured for rotation; 503 a retryable failure (Retry-After); 502 any other failure
 * of Key Vault or the target. Failures are problem details carrying the outcome.
 */
export function outcomeResponse(outcome: RotationOutcome): HttpResponseInit {
  switch (outcome.status) {
    case "rotated":
      return json(200, outcome);
    case "skipped":
      if (outcome.reason === "unmanaged") {
        return problem(
          422,
          "Secret not configured for rotation",
          `secret '${outcome.secret}' has neither ProviderAddress nor RotatorType`,
          { outcome },
        );
      }
      return json(200, outcome);
    case "busy":
      return problem(
        409,
        "Rotation in progress",
        `another rotation of '${outcome.secret}' holds the lease; try again shortly`,
        { outcome },
      );
    case "failed": {
      const { code, message, retryable } = outcome.error;
      if (code === "SecretNotFound") return problem(404, "Secret not found", message, { outcome });
      if (code === "BindingNotAllowed") return problem(403, "Binding not allowed", message, { outcome });
      if (code === "MisconfiguredSecret")
        return problem(422, "Secret not configured for rotation", message, { outcome });
      if (retryable)
        return {
          ...problem(503, "Rotation failed, retry later", message, { outcome }),
          headers: { "content-type": "application/problem+json", "retry-after": "60" },
        };
      return problem(502, "Rotation failed", message, { outcome });
    }
  }
}
