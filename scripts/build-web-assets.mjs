// Builds the web application's static files into dist/apps/web: its templates (copied), its CSS (the NHS
// design system's Sass, compiled) and its JavaScript, each file named by a hash of its content so it can be
// cached for a year; manifest.json maps each logical name to its hashed one. Run by `npm run build`.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sass from 'sass';

const out = 'dist/apps/web';
const publicDir = join(out, 'public');
rmSync(out + '/public', { recursive: true, force: true });
rmSync(out + '/views', { recursive: true, force: true });
mkdirSync(publicDir, { recursive: true });
cpSync('apps/web/views', join(out, 'views'), { recursive: true });

const hashed = (name, content) => {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  const dot = name.indexOf('.');
  return `${name.slice(0, dot)}-${hash}${name.slice(dot)}`;
};
const manifest = {};
const write = (name, content) => {
  const file = hashed(name, content);
  writeFileSync(join(publicDir, file), content);
  manifest[name] = file;
  return file;
};

const css = sass.compile('apps/web/assets/application.scss', {
  loadPaths: ['node_modules'],
  quietDeps: true,
  style: 'compressed',
  silenceDeprecations: ['import'],
}).css;
if (/@font-face|https?:\/\//.test(css)) throw new Error('the CSS would load something from another host');
write('application.css', css);

const nhsukJs = readFileSync('node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js', 'utf8').replace(
  /\/\/# sourceMappingURL=.*$/m,
  '',
);
const nhsukFile = write('nhsuk-frontend.min.js', nhsukJs);
const app = readFileSync('apps/web/assets/application.js', 'utf8').replace(
  './nhsuk-frontend.min.js',
  `./${nhsukFile}`,
);
write('application.js', app);

// The design system's images (icons, favicon), referenced by the CSS at /assets/nhsuk/images/.
cpSync('node_modules/nhsuk-frontend/dist/nhsuk/assets/images', join(publicDir, 'nhsuk', 'images'), {
  recursive: true,
});
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`web assets: ${Object.values(manifest).join(', ')}`);
