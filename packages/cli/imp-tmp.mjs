const t0 = performance.now();
const mods = process.argv.slice(2);
let last = t0;
for (const m of mods) { await import(m); const t = performance.now(); console.log(m, (t-last).toFixed(1)); last = t; }
