import { UnrecoverableError, type Job } from 'bullmq';
import { ExportRefused } from '../dataset/generalised-files.js';
import { ExportGenerator, ExportInProgress, ExportJobs } from './export-generator.js';

/** The worker's export job after the generator fails: when the export is marked failed, and when not. */
describe('ExportJobs', () => {
  const jobAt = (attemptsMade: number) =>
    ({ attemptsMade, opts: { attempts: 3 }, updateProgress: () => Promise.resolve() }) as unknown as Job;

  function jobs(failure: Error) {
    const failed: string[] = [];
    const generator = {
      generate: () => Promise.reject(failure),
      markFailed: (id: string, reason: string) => Promise.resolve(void failed.push(`${id}: ${reason}`)),
    } as unknown as ExportGenerator;
    return { handler: new ExportJobs(generator), failed };
  }

  it('marks the export failed after the last attempt, not before', async () => {
    const { handler, failed } = jobs(new Error('disk full'));
    await expect(handler.generate({ exportId: 'e1' }, jobAt(1))).rejects.toThrow('disk full');
    expect(failed).toEqual([]);
    await expect(handler.generate({ exportId: 'e1' }, jobAt(2))).rejects.toThrow('disk full');
    expect(failed).toEqual(['e1: disk full']);
  });

  it('never marks failed an export another process is generating, even at the last attempt', async () => {
    const { handler, failed } = jobs(new ExportInProgress('e2'));
    await expect(handler.generate({ exportId: 'e2' }, jobAt(2))).rejects.toBeInstanceOf(ExportInProgress);
    expect(failed).toEqual([]);
  });

  it('fails a refused export at its first attempt, with the reason, and asks for no retry', async () => {
    const { handler, failed } = jobs(new ExportRefused('refused: 3 patients cannot be made 5-anonymous'));
    await expect(handler.generate({ exportId: 'e3' }, jobAt(0))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(failed).toEqual(['e3: refused: 3 patients cannot be made 5-anonymous']);
  });
});
