/** What an audit export is, as its row holds it. */

/**
 * The three audiences of domain guide §5: the registry's own analysts (`internal`: exact), an auditor under
 * a data sharing agreement (`external_audit`: pseudonymised patient-level files), the public
 * (`publication`: aggregates only).
 */
export const EXPORT_PROFILES = ['internal', 'external_audit', 'publication'] as const;
export type ExportProfile = (typeof EXPORT_PROFILES)[number];

/** Whether an export of this profile carries the patient-level files and their dictionary. */
export const hasPatientFiles = (profile: ExportProfile): boolean => profile !== 'publication';

/** Whether the profile's figures by site go through disclosure control. */
export const isProtected = (profile: ExportProfile): boolean => profile !== 'internal';

/**
 * The version of the export's format, in its manifest. 2: the `publication` profile; a site's percentage,
 * interval and met verdict computed from its published counts. 3: secondary suppression chosen by the
 * intruder check, patients treated by site in all years together; in the external audit, sites as a
 * pseudonymous code or a region and the files generalised to k-anonymity (the manifest's `kAnonymity`).
 */
export const EXPORT_FORMAT_VERSION = 3;
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
