import * as nestCommon from '@nestjs/common';
import * as nestCore from '@nestjs/core';

// See test/support/esm-bridge-transform.cjs: CommonJS packages in node_modules that require() the ESM-only
// Nest packages get these very module instances, so `instanceof HttpException` and Nest's metadata keys
// agree between them and our code, as they do under plain Node.
(globalThis as Record<symbol, unknown>)[Symbol.for('ecmo.jest.esmBridge')] = {
  '@nestjs/common': nestCommon,
  '@nestjs/core': nestCore,
};
