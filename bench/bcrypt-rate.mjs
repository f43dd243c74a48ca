// The raw rate of async bcrypt.compare at one cost, with as many compares in flight as the service could have.
// Usage: node bench/bcrypt-rate.mjs <cost> <seconds> <in flight>; prints {"comparesPerSecond": n}.
import bcrypt from 'bcrypt';

const [cost, seconds, inFlight] = process.argv.slice(2).map(Number);
const hash = await bcrypt.hash('bench passphrase', cost);
const deadline = performance.now() + seconds * 1000;
let compares = 0;
const worker = async () => {
  while (performance.now() < deadline) {
    if (!(await bcrypt.compare('bench passphrase', hash))) {
      throw new Error('bcrypt.compare failed');
    }
    compares += 1;
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: inFlight }, worker));
console.log(JSON.stringify({ comparesPerSecond: compares / ((performance.now() - started) / 1000) }));
