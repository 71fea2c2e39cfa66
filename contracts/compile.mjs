// Compiles DealProof.sol with solc-js (bundled wasm: nothing downloads) into
// build/DealProof.json {abi, bytecode}. Usage: node compile.mjs [evmVersion]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const solc = require('solc');
const here = path.dirname(fileURLToPath(import.meta.url));
const source = fs.readFileSync(path.join(here, 'DealProof.sol'), 'utf8');
const evmVersion = process.argv[2];
const input = {
  language: 'Solidity',
  sources: { 'DealProof.sol': { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    ...(evmVersion && { evmVersion }),
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const e of output.errors || []) {
  console.error(e.formattedMessage);
  if (e.severity === 'error') failed = true;
}
if (failed) process.exit(1);
const contract = output.contracts['DealProof.sol'].DealProof;
fs.mkdirSync(path.join(here, 'build'), { recursive: true });
fs.writeFileSync(path.join(here, 'build', 'DealProof.json'), JSON.stringify({
  abi: contract.abi,
  bytecode: '0x' + contract.evm.bytecode.object,
  methodIdentifiers: contract.evm.methodIdentifiers,
}, null, 2));
console.log('compiled DealProof.sol with solc', solc.version());
