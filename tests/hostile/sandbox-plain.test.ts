import { hostileSuite } from "./suite.ts";

hostileSuite("plain", 64000);
