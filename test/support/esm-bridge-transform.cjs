// Jest (before Node 24.9) cannot require() an ES module from CommonJS, which Node 20.19+ itself does. Some
// CommonJS Nest add-ons (@nestjs/throttler) require() the ESM-only @nestjs/common and @nestjs/core: this
// transform points those require() calls at the ESM instances that test/support/esm-bridge.ts publishes, so
// the test run uses one copy of each package, like production.
const BRIDGED = ['@nestjs/common', '@nestjs/core'];

module.exports = {
  process(source) {
    let code = source;
    for (const name of BRIDGED) {
      code = code
        .split(`require("${name}")`)
        .join(`globalThis[Symbol.for('ecmo.jest.esmBridge')]['${name}']`);
    }
    return { code };
  },
};
