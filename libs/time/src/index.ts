export { Clock } from './clock.js';
export {
  assertInstant,
  DAY_MS,
  HOUR_MS,
  londonCalendarDate,
  londonDay,
  REGISTRY_TIME_ZONE,
  type CalendarDate,
} from './instant.js';
export {
  addCalendarDays,
  localWallClock,
  reminderInstant,
  resolveLocalTime,
  type LocalTimeResolution,
} from './local-time.js';
