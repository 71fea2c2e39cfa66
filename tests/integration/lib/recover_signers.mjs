// recover_signers.mjs SOURCE_DIR — reads "DEAL_ID HASH SIGNATURE SIGNER"
// lines and recovers, with ethers 6, the EIP-191 signer of each 32-byte
// HASH (SPEC §6: keccak256("\x19Ethereum Signed Message:\n32" || hash)).
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(path.join(process.argv[2], 'contracts', 'package.json'));
const { ethers } = require('ethers');
let bad = 0;
for await (const line of readline.createInterface({ input: process.stdin })) {
    if (!line.trim())
        continue;
    const [dealId, hash, signature, signer] = line.trim().split(/\s+/);
    let recovered = '';
    try {
        recovered = ethers.verifyMessage(ethers.getBytes('0x' + hash.replace(/^0x/, '')), signature);
    } catch (e) {
        recovered = 'error: ' + e.shortMessage;
    }
    if (recovered.toLowerCase() === signer.toLowerCase())
        console.log(`ok ${dealId} ${recovered}`);
    else {
        bad++;
        console.log(`BAD ${dealId}: recovered ${recovered}, signer ${signer}`);
    }
}
process.exit(bad ? 1 : 0);
