/**
 * Paths pino replaces with "[redacted]" in every log line. Patient identifiers (NHS number, name, date of
 * birth, contact details) and credentials must never reach logs; this list is the safety net behind the rule
 * that code does not log them in the first place.
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
    'name',
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
    'code',
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];
