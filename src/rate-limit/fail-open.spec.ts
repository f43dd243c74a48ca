import { Logger } from '@nestjs/common';
import { FailOpen } from './fail-open';

describe('FailOpen', () => {
  let time: number;
  let logger: Logger;
  let warn: jest.SpyInstance;
  let failOpen: FailOpen;

  beforeEach(() => {
    time = 1_000_000;
    logger = new Logger('test');
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    failOpen = new FailOpen(logger, 'Rate limits are not applied', () => time);
  });

  it('answers what the storage counted while it works, and warns of nothing', async () => {
    await expect(failOpen.or(Promise.resolve(7), 0)).resolves.toBe(7);
    expect(warn).not.toHaveBeenCalled();
  });

  it('allows while the storage fails, warning once per 10 s however many requests come', async () => {
    const outage = () => failOpen.or(Promise.reject(new Error('Connection is closed.')), 0);
    for (let i = 0; i < 20; i++) {
      await expect(outage()).resolves.toBe(0);
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('Rate limits are not applied: Connection is closed.');

    time += 9_999;
    await outage();
    expect(warn).toHaveBeenCalledTimes(1);
    time += 1;
    await outage();
    failOpen.warn('not an error');
    expect(warn).toHaveBeenCalledTimes(2);
    time += 10_000;
    failOpen.warn('not an error');
    expect(warn).toHaveBeenLastCalledWith('Rate limits are not applied: storage error');
  });
});
