// Starts a real anvil node (from npm) on a free loopback port for a test file
// and stops it afterwards. anvil's default accounts are funded test keys.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';

const here = path.dirname(fileURLToPath(import.meta.url));
const ANVIL = path.join(here, '..', 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startAnvil({ chainId = 1337 } = {}) {
  const port = await freePort();
  const child = spawn(ANVIL, ['--chain-id', String(chainId), '--host', '127.0.0.1',
                              '--port', String(port), '--silent'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const provider = new ethers.JsonRpcProvider(url, chainId, { staticNetwork: true, cacheTimeout: -1 });
  const started = Date.now();
  for (;;) {
    try {
      await provider.send('eth_chainId', []);
      break;
    } catch (e) {
      if (Date.now() - started > 15000) {
        child.kill('SIGKILL');
        throw new Error('anvil did not answer within 15 s');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url, provider, chainId,
    // anvil's first default accounts (public test keys; never fund them for real)
    keys: [
      '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
      '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
      '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
      '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
    ],
    stop() { provider.destroy(); child.kill('SIGTERM'); },
  };
}
