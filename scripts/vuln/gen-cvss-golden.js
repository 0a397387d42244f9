// Generates internal/vuln/cvss/testdata/golden.tsv: random CVSS v3.1 and
// v4.0 vectors scored by an independent implementation, the npm package
// ae-cvss-calculator (metaeffekt). Deterministic (fixed seed).
// Usage: npm install ae-cvss-calculator@1.0.13 && node scripts/vuln/gen-cvss-golden.js > internal/vuln/cvss/testdata/golden.tsv
const c = require('ae-cvss-calculator');
let seed = 20261129;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return (seed >> 16) % n; };
const pick = (s) => s[rnd(s.length)];
const out = ['# vector\tscore (ae-cvss-calculator 1.0.13: v3 base score, v4 overall score)'];
const v3 = { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'HLN', I: 'HLN', A: 'HLN' };
for (let i = 0; i < 400; i++) {
  const vec = 'CVSS:3.1/' + Object.entries(v3).map(([k, v]) => k + ':' + pick(v)).join('/');
  out.push(vec + '\t' + new c.Cvss3P1(vec).calculateScores().base.toFixed(1));
}
const v4 = { AV: 'NALP', AC: 'LH', AT: 'NP', PR: 'NLH', UI: 'NPA', VC: 'HLN', VI: 'HLN', VA: 'HLN', SC: 'HLN', SI: 'HLN', SA: 'HLN' };
const v4opt = { E: 'XAPU', CR: 'XHML', IR: 'XHML', AR: 'XHML', MAV: 'XNALP', MPR: 'XNLH', MVC: 'XHLN', MSI: 'XSHLN', MSA: 'XSHLN' };
for (let i = 0; i < 600; i++) {
  let parts = Object.entries(v4).map(([k, v]) => k + ':' + pick(v));
  if (i >= 300) { // half with threat and environmental metrics
    for (const [k, v] of Object.entries(v4opt)) { const x = pick(v); if (x !== 'X') parts.push(k + ':' + x); }
  }
  const vec = 'CVSS:4.0/' + parts.join('/');
  out.push(vec + '\t' + new c.Cvss4P0(vec).calculateScores().overall.toFixed(1));
}
console.log(out.join('\n'));
