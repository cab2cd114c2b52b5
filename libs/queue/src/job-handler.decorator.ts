import { SetMetadata } from '@nestjs/common';
import type { JobName } from './job-catalogue.js';

export const JOB_HANDLER_METADATA = 'ecmo:job-handler';

/** Marks a provider method as the one handler of a job; the worker discovers it at boot. */
export const JobHandler = (name: JobName): MethodDecorator => SetMetadata(JOB_HANDLER_METADATA, name);
