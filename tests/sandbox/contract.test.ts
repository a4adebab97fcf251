import { probeHost } from "../../verifiers/sandbox/probe.ts";
import { createSandbox } from "../../verifiers/sandbox/sandbox.ts";
import { sandboxContract } from "../contract/sandbox.ts";

const caps = await probeHost();
sandboxContract("plain", () => createSandbox({ tier: "plain" }));
if (caps.tier === "bwrap") sandboxContract("bwrap", () => createSandbox({ tier: "bwrap" }));
