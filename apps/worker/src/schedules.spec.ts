import { loadConfig } from '../../../libs/config/src/index.js';
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

  it('runs the audit exports on the 1st at 02:00 Europe/London by default, and not at all when `off`', () => {
    const schedule = (env: Record<string, string>) =>
      jobSchedules(loadConfig({ NODE_ENV: 'test', ...env })).find((s) => s.id === 'schedule-exports');
    expect(schedule({})?.repeat).toEqual({ pattern: '0 2 1 * *', tz: 'Europe/London' });
    expect(schedule({ EXPORT_SCHEDULE: '30 3 * * 1' })?.repeat).toEqual({
      pattern: '30 3 * * 1',
      tz: 'Europe/London',
    });
    expect(schedule({ EXPORT_SCHEDULE: 'off' })).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: 'test', EXPORT_SCHEDULE: 'monthly' })).toThrow(/EXPORT_SCHEDULE/);
  });
});
