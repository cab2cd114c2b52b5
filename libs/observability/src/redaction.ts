/**
 * Paths pino replaces with "[redacted]" in every log line. Patient identifiers (NHS number, name, date of
 * birth, contact details) and credentials must never reach logs; this list is the safety net behind the rule
 * that code does not log them in the first place. Generic keys (`name`, `code`) are not listed: they are
 * queue names and SQLSTATEs far more often than identifiers, and hiding them blinds the error logs.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...[
    'nhsNumber',
    'nhs_number',
    'givenName',
    'familyName',
    'patientName',
    'fullName',
    'dateOfBirth',
    'date_of_birth',
    'email',
    'phone',
    'mobile',
    'address',
    'postcode',
    'password',
    'newPassword',
    'token',
    'refreshToken',
    'accessToken',
    'apiKey',
    'totp',
    'totpCode',
    'recoveryCode',
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`, `*.*.*.*.${field}`]),
];
