// Enhancements only: every page works without JavaScript. nhsuk-frontend's components (header menu, error
// summary focus, skip link, radios' conditional reveals) start here, from a file, never an inline script.
import { initAll } from './nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
