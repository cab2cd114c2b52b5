import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DefaultDenyGuard } from './default-deny.guard.js';

@Module({ providers: [{ provide: APP_GUARD, useClass: DefaultDenyGuard }] })
export class AccessModule {}
