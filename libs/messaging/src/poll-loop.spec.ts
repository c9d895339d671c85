import { PollLoop } from './poll-loop';

const until = async (condition: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('PollLoop', () => {
  it('runs at start, then runs at once when nudged, never two runs at a time', async () => {
    let runs = 0;
    let active = 0;
    let most = 0;
    let release: (() => void) | null = null;
    const loop = new PollLoop(async () => {
      runs += 1;
      active += 1;
      most = Math.max(most, active);
      await new Promise<void>((r) => (release = r));
      active -= 1;
    }, 60_000);
    loop.start();
    await until(() => runs === 1);
    // Nudged during a run: one more run right after it, not a second one beside it.
    loop.nudge();
    loop.nudge();
    (release as unknown as () => void)();
    await until(() => runs === 2);
    expect(most).toBe(1);
    (release as unknown as () => void)();
    await until(() => active === 0);
    // Idle with a long poll: a nudge runs it now.
    loop.nudge();
    await until(() => runs === 3);
    (release as unknown as () => void)();
    await loop.stop();
    expect(loop.stopped).toBe(true);
    loop.nudge();
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(3);
  });

  it('polls every pollMs while nothing nudges it', async () => {
    let runs = 0;
    const loop = new PollLoop(async () => void (runs += 1), 10);
    loop.start();
    await until(() => runs >= 3);
    await loop.stop();
  });
});
