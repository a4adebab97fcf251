import { hostileSuite } from "./suite.ts";

hostileSuite("plain");
