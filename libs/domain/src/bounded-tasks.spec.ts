import { BoundedTasks } from './bounded-tasks';

describe('BoundedTasks', () => {
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  };

  it('keeps at most `limit` tasks in flight and waits for all of them', async () => {
    const tasks = new BoundedTasks(2);
    const { opened, open } = gate();
    let started = 0;
    let running = 0;
    let most = 0;
    const adding = (async () => {
      for (let i = 0; i < 5; i++) {
        await tasks.add(async () => {
          started += 1;
          running += 1;
          most = Math.max(most, running);
          await opened;
          running -= 1;
        });
      }
    })();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(started).toBe(2);
    open();
    await adding;
    await tasks.drain();
    expect([started, most, running]).toEqual([5, 2, 0]);
  });

  it('throws the first failure from the next add and from drain', async () => {
    const tasks = new BoundedTasks(3);
    await tasks.add(() => Promise.reject(new Error('first')));
    await tasks.add(() => Promise.reject(new Error('second'))).catch(() => undefined);
    await expect(tasks.drain()).rejects.toThrow('first');
    await expect(tasks.add(async () => undefined)).rejects.toThrow('first');
  });
});
