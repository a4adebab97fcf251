import { describe, it } from "vitest";
import { probeHost } from "../../verifiers/sandbox/probe.ts";
import { hostileSuite } from "./suite.ts";

if ((await probeHost()).tier === "bwrap") hostileSuite("bwrap");
else describe.skip("hostile inputs, bwrap tier (bwrap unavailable on this host)", () => it("skipped", () => {}));
