import { defineTamperSuite } from "./tamper-suite.ts";

defineTamperSuite("dotenv");
