import { loadConfig } from '../../config/src/index.js';
import { jobSchedules } from './schedules.js';

describe('jobSchedules', () => {
  const ids = (env: Record<string, string>) =>
    jobSchedules(loadConfig({ NODE_ENV: 'test', ...env })).map((s) => [s.id, s.repeat.every]);

  it("schedules the nurses' digest check by default, every NURSE_DIGEST_CHECK_INTERVAL_MS", () => {
    expect(ids({ NURSE_DIGEST_CHECK_INTERVAL_MS: '120000' })).toContainEqual(['nurse-digest', 120000]);
  });

  it('leaves the digest out when NURSE_DIGEST_ENABLED is false, and nothing else', () => {
    const all = ids({});
    expect(ids({ NURSE_DIGEST_ENABLED: 'false' })).toEqual(all.filter(([id]) => id !== 'nurse-digest'));
  });
});
