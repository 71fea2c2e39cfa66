// DealProof.sol on a real local node: every path of SPEC §7.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';
import { startAnvil } from './anvil.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
execFileSync('node', [path.join(here, '..', 'compile.mjs')], { stdio: 'ignore' });
const artifact = JSON.parse(fs.readFileSync(path.join(here, '..', 'build', 'DealProof.json')));

let node, owner, buyer, seller, relayer, enclave, contract, factory;
const WINDOW = 3600;

before(async () => {
  node = await startAnvil();
  [owner, buyer, seller, relayer] = node.keys.map((k) => new ethers.Wallet(k, node.provider));
  enclave = ethers.Wallet.createRandom();
  factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, owner);
  contract = await factory.deploy();
  await contract.waitForDeployment();
  await (await contract.addSigner(enclave.address)).wait();
});

after(() => node?.stop());

function dealIdOf(text) {
  return ethers.keccak256(ethers.toUtf8Bytes(text));   // the seed's mapping
}

async function releaseSignature(signer, { chainId = node.chainId, verifyingContract, dealId,
                                          seller: sellerAddress, dataHash, amountWei, reportData }) {
  const domain = { name: 'DealProof', version: '1', chainId, verifyingContract };
  const types = { Release: [
    { name: 'dealId', type: 'bytes32' }, { name: 'seller', type: 'address' },
    { name: 'dataHash', type: 'bytes32' }, { name: 'amountWei', type: 'uint256' },
    { name: 'reportData', type: 'bytes32' } ] };
  return signer.signTypedData(domain, types, { dealId, seller: sellerAddress, dataHash, amountWei, reportData });
}

async function newDeal(label, amount = ethers.parseEther('0.5')) {
  const dealId = dealIdOf(label);
  const dataHash = ethers.hexlify(ethers.randomBytes(32));
  await (await contract.connect(buyer).createDeal(dealId, await seller.getAddress(), dataHash, WINDOW,
                                                  { value: amount })).wait();
  return { dealId, dataHash, amount };
}

async function revertName(promise) {
  try {
    await promise;
  } catch (e) {
    const data = e.data ?? e.info?.error?.data;
    if (data) return contract.interface.parseError(data)?.name;
    return e.shortMessage ?? e.message;
  }
  return null;
}

test('release pays exactly the deposit to the seller, once', async () => {
  const deal = await newDeal('deal-release');
  const reportData = ethers.hexlify(ethers.randomBytes(32));
  const sig = await releaseSignature(enclave, { verifyingContract: await contract.getAddress(),
    dealId: deal.dealId, seller: await seller.getAddress(), dataHash: deal.dataHash,
    amountWei: deal.amount, reportData });
  const before = await node.provider.getBalance(await seller.getAddress());
  const receipt = await (await contract.connect(relayer).releaseWithAttestation(deal.dealId, deal.amount, reportData, sig)).wait();
  const afterBalance = await node.provider.getBalance(await seller.getAddress());
  assert.equal(afterBalance - before, deal.amount);
  const event = receipt.logs.map((l) => contract.interface.parseLog(l)).find((e) => e?.name === 'DealCompleted');
  assert.equal(event.args.dealId, deal.dealId);
  assert.equal(await contract.getAttestationHash(deal.dealId), reportData);
  assert.equal(await revertName(contract.connect(relayer).releaseWithAttestation(deal.dealId, deal.amount, reportData, sig)), 'NotActive');
  assert.equal(await revertName(contract.connect(buyer).refund(deal.dealId)), 'NotActive');
});

test('contract digest equals the EIP-712 digest ethers computes', async () => {
  const deal = await newDeal('deal-digest');
  const reportData = ethers.hexlify(ethers.randomBytes(32));
  const domain = { name: 'DealProof', version: '1', chainId: node.chainId, verifyingContract: await contract.getAddress() };
  const types = { Release: [
    { name: 'dealId', type: 'bytes32' }, { name: 'seller', type: 'address' },
    { name: 'dataHash', type: 'bytes32' }, { name: 'amountWei', type: 'uint256' },
    { name: 'reportData', type: 'bytes32' } ] };
  const expected = ethers.TypedDataEncoder.hash(domain, types, { dealId: deal.dealId,
    seller: await seller.getAddress(), dataHash: deal.dataHash, amountWei: deal.amount, reportData });
  assert.equal(await contract.releaseDigest(deal.dealId, await seller.getAddress(), deal.dataHash, deal.amount, reportData), expected);
});

test('a signature from an unregistered key is refused', async () => {
  const deal = await newDeal('deal-wrong-signer');
  const impostor = ethers.Wallet.createRandom();
  const reportData = ethers.ZeroHash;
  const sig = await releaseSignature(impostor, { verifyingContract: await contract.getAddress(),
    dealId: deal.dealId, seller: await seller.getAddress(), dataHash: deal.dataHash, amountWei: deal.amount, reportData });
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, deal.amount, reportData, sig)), 'UnknownSigner');
});

test('a removed signer can no longer release', async () => {
  const deal = await newDeal('deal-removed-signer');
  const temporary = ethers.Wallet.createRandom();
  await (await contract.addSigner(temporary.address)).wait();
  await (await contract.removeSigner(temporary.address)).wait();
  const sig = await releaseSignature(temporary, { verifyingContract: await contract.getAddress(),
    dealId: deal.dealId, seller: await seller.getAddress(), dataHash: deal.dataHash, amountWei: deal.amount, reportData: ethers.ZeroHash });
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, deal.amount, ethers.ZeroHash, sig)), 'UnknownSigner');
  assert.equal(await revertName(contract.connect(buyer).addSigner(buyer)), 'NotOwner');
});

test('a signature for another deal, chain or contract is refused', async () => {
  const a = await newDeal('deal-replay-a');
  const b = await newDeal('deal-replay-b');
  const reportData = ethers.hexlify(ethers.randomBytes(32));
  const common = { seller: await seller.getAddress(), dataHash: a.dataHash, amountWei: a.amount, reportData };
  const forA = await releaseSignature(enclave, { ...common, verifyingContract: await contract.getAddress(), dealId: a.dealId });
  assert.equal(await revertName(contract.releaseWithAttestation(b.dealId, b.amount, reportData, forA)), 'UnknownSigner');
  const otherChain = await releaseSignature(enclave, { ...common, chainId: 1, verifyingContract: await contract.getAddress(), dealId: a.dealId });
  assert.equal(await revertName(contract.releaseWithAttestation(a.dealId, a.amount, reportData, otherChain)), 'UnknownSigner');
  const second = await factory.deploy();
  await second.waitForDeployment();
  const otherContract = await releaseSignature(enclave, { ...common, verifyingContract: await second.getAddress(), dealId: a.dealId });
  assert.equal(await revertName(contract.releaseWithAttestation(a.dealId, a.amount, reportData, otherContract)), 'UnknownSigner');
});

test('an amount that differs from the deposit is refused', async () => {
  const deal = await newDeal('deal-amount');
  const reportData = ethers.ZeroHash;
  const wrong = deal.amount - 1n;
  const sig = await releaseSignature(enclave, { verifyingContract: await contract.getAddress(),
    dealId: deal.dealId, seller: await seller.getAddress(), dataHash: deal.dataHash, amountWei: wrong, reportData });
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, wrong, reportData, sig)), 'AmountMismatch');
});

test('high-s and bad-v signatures are refused', async () => {
  const deal = await newDeal('deal-malleable');
  const reportData = ethers.ZeroHash;
  const sig = ethers.Signature.from(await releaseSignature(enclave, { verifyingContract: await contract.getAddress(),
    dealId: deal.dealId, seller: await seller.getAddress(), dataHash: deal.dataHash, amountWei: deal.amount, reportData }));
  const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
  const highS = ethers.concat([sig.r, ethers.toBeHex(n - BigInt(sig.s), 32), Uint8Array.of(sig.v === 27 ? 28 : 27)]);
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, deal.amount, reportData, highS)), 'BadSignature');
  const vZero = ethers.concat([sig.r, sig.s, Uint8Array.of(sig.v - 27)]);
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, deal.amount, reportData, vZero)), 'BadSignature');
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, deal.amount, reportData, '0x1234')), 'BadSignature');
});

test('refund: refused before the window, paid to the buyer after it', async () => {
  const deal = await newDeal('deal-refund');
  assert.equal(await revertName(contract.connect(buyer).refund(deal.dealId)), 'WindowOpen');
  assert.equal(await revertName(contract.connect(relayer).refund(deal.dealId)), 'NotBuyer');
  await node.provider.send('evm_increaseTime', [WINDOW + 1]);
  await node.provider.send('evm_mine', []);
  const receipt = await (await contract.connect(buyer).refund(deal.dealId)).wait();
  assert.ok(receipt.logs.map((l) => contract.interface.parseLog(l)).some((e) => e?.name === 'DealRefunded'));
  assert.equal(await revertName(contract.connect(buyer).refund(deal.dealId)), 'NotActive');
  const sig = await releaseSignature(enclave, { verifyingContract: await contract.getAddress(),
    dealId: deal.dealId, seller: await seller.getAddress(), dataHash: deal.dataHash, amountWei: deal.amount, reportData: ethers.ZeroHash });
  assert.equal(await revertName(contract.releaseWithAttestation(deal.dealId, deal.amount, ethers.ZeroHash, sig)), 'NotActive');
});

test('createDeal refuses duplicates, zero deposits and a zero seller', async () => {
  const deal = await newDeal('deal-dup');
  assert.equal(await revertName(contract.connect(buyer).createDeal(deal.dealId, await seller.getAddress(), deal.dataHash, WINDOW, { value: 1 })), 'DealExists');
  assert.equal(await revertName(contract.connect(buyer).createDeal(dealIdOf('zero'), await seller.getAddress(), deal.dataHash, WINDOW, { value: 0 })), 'NoDeposit');
  assert.equal(await revertName(contract.connect(buyer).createDeal(dealIdOf('nobody'), ethers.ZeroAddress, deal.dataHash, WINDOW, { value: 1 })), 'BadSeller');
  const stored = await contract.deals(deal.dealId);
  assert.equal(stored.buyer, await buyer.getAddress());
  assert.equal(stored.amount, deal.amount);
});
