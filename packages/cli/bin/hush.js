#!/usr/bin/env node
import { startCli } from "../dist/start.js";

await startCli();
