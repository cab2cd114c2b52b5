/** What an audit export is, as its row holds it. */

export const EXPORT_PROFILES = ['internal', 'external_audit'] as const;
export type ExportProfile = (typeof EXPORT_PROFILES)[number];
export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed';

/** A file of an export, as the manifest and the export row list it. */
export interface ExportFile {
  readonly name: string;
  readonly rows: number | null;
  readonly bytes: number;
  readonly sha256: string;
}

/** An export's row, as the api shows it. */
export interface ExportRecord {
  id: string;
  profile: ExportProfile;
  cut_off: string;
  version: number;
  origin: 'request' | 'schedule';
  status: ExportStatus;
  requested_by: string;
  requested_at: Date;
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  patients: number | null;
  files: ExportFile[] | null;
  software_version: string | null;
  failure: string | null;
}

/** What the generator reads of the export it claims. */
export interface ExportClaim {
  id: string;
  profile: ExportProfile;
  cut_off: string;
  version: number;
  origin: string;
  status: string;
  requested_at: Date;
}
