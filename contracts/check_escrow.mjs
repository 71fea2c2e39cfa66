// Reports what the chain says about deals: for each deal id (one per line
// on stdin, "deal_id seller amount_wei"), its DealProof status and whether
// the seller's balance holds exactly the released deposits.
//
//   node check_escrow.mjs --rpc URL --contract ADDRESS < deals.txt
// Prints "status=<counts> paid_ok=<n> paid_wrong=<n>" and exits 1 if any
// seller received other than exactly its deposit for completed deals.
import { ethers } from 'ethers';
import fs from 'node:fs';

const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const provider = new ethers.JsonRpcProvider(option('--rpc'), undefined, { staticNetwork: true, cacheTimeout: -1 });
const abi = ['function deals(bytes32) view returns (address,address,uint256,bytes32,uint256,bytes32,uint8)'];
const contract = new ethers.Contract(option('--contract'), abi, provider);
const names = ['None', 'Active', 'Completed', 'Refunded'];
const counts = {};
let paidOk = 0, paidWrong = 0;
for (const line of fs.readFileSync(0, 'utf8').split('\n').filter(Boolean)) {
  const [dealId, seller, amount] = line.split(/\s+/);
  const deal = await contract.deals(ethers.keccak256(ethers.toUtf8Bytes(dealId)));
  const status = names[Number(deal[6])];
  counts[status] = (counts[status] || 0) + 1;
  if (status === 'Completed') {
    const balance = await provider.getBalance(seller);
    if (balance === BigInt(amount)) paidOk++; else { paidWrong++; console.error(`${dealId}: seller ${seller} has ${balance}, expected ${amount}`); }
  }
}
console.log(`status=${JSON.stringify(counts)} paid_ok=${paidOk} paid_wrong=${paidWrong}`);
provider.destroy();
process.exit(paidWrong ? 1 : 0);
