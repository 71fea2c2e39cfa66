// Deploys DealProof.sol and registers enclave signers; used by the relayer
// tests and by operators. Prints the contract address on stdout.
//
//   node deploy.mjs --rpc URL --key HEX [--signer ADDRESS]...
//   node deploy.mjs --rpc URL --key HEX --contract ADDRESS --signer ADDRESS   (register only)
//
// The key is the owner's: only the owner can add or remove signers. Register
// a signer only after verifying its quote (docs/escrow.md).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const signers = args.flatMap((a, i) => (a === '--signer' ? [args[i + 1]] : []));
const rpc = option('--rpc'), key = option('--key');
if (!rpc || !key) {
  console.error('usage: node deploy.mjs --rpc URL --key HEX [--contract ADDRESS] [--signer ADDRESS]...');
  process.exit(2);
}
const artifactPath = path.join(here, 'build', 'DealProof.json');
if (!fs.existsSync(artifactPath)) execFileSync('node', [path.join(here, 'compile.mjs')], { stdio: 'ignore' });
const artifact = JSON.parse(fs.readFileSync(artifactPath));
// cacheTimeout -1: ethers otherwise answers an identical request made within
// 250 ms from its cache, so on a fast node addSigner reuses the deploy's
// pending nonce and is refused ("nonce too low").
const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
const owner = new ethers.Wallet(key, provider);
let contract;
if (option('--contract')) {
  contract = new ethers.Contract(option('--contract'), artifact.abi, owner);
} else {
  contract = await new ethers.ContractFactory(artifact.abi, artifact.bytecode, owner).deploy();
  await contract.waitForDeployment();
}
for (const signer of signers) await (await contract.addSigner(signer)).wait();
console.log(await contract.getAddress());
provider.destroy();
