import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import jwt from 'jsonwebtoken';

/** One message the fake took, as GOV.UK Notify would keep it. */
export interface NotifyMessage {
  id: string;
  type: 'sms' | 'email';
  reference: string | null;
  to: string;
  templateId: string;
  personalisation: Record<string, string>;
  status: string;
  createdAt: string;
}

/**
 * What the fake does with the next send request to a recipient:
 * - `accept`: takes the message and answers 201 (the default);
 * - `accept-then-cut`: takes the message, runs `onTaken`, then cuts the connection without answering (a worker
 *   killed, or a connection lost, after Notify took it);
 * - `cut`: cuts the connection without taking anything;
 * - `error`: answers 500 without taking anything;
 * - `rate-limit`: answers 429 without taking anything.
 */
export type SendBehaviour = 'accept' | 'accept-then-cut' | 'cut' | 'error' | 'rate-limit';

const UK_MOBILE = /^(?:\+44|0044|0)7\d{9}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A GOV.UK Notify-compatible HTTP server on loopback, for tests: it checks the client's JSON web token as Notify
 * does (HS256, the service id as `iss`, a fresh `iat`), takes SMS and e-mail, validates numbers and addresses
 * the way Notify refuses them (400), and answers the look-up by reference. Tests read what arrived.
 */
export class FakeNotify {
  readonly serviceId = randomUUID();
  private readonly secret = randomUUID();
  readonly smsTemplateId = randomUUID();
  readonly emailTemplateId = randomUUID();
  readonly messages: NotifyMessage[] = [];
  /** Every send request that reached the server, taken or not. */
  sendRequests = 0;
  private readonly behaviours = new Map<string, SendBehaviour[]>();
  private onTaken: (message: NotifyMessage) => void = () => undefined;
  private server: Server | undefined;
  private port = 0;

  /** The API key as Notify shows it: name, service id, secret. */
  get apiKey(): string {
    return `registry_test-${this.serviceId}-${this.secret}`;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The configuration that points the registry at this fake for both channels. */
  env(): Record<string, string> {
    return {
      SMS_PROVIDER: 'notify',
      EMAIL_PROVIDER: 'notify',
      NOTIFY_API_KEY: this.apiKey,
      NOTIFY_BASE_URL: this.baseUrl,
      NOTIFY_SMS_TEMPLATE_ID: this.smsTemplateId,
      NOTIFY_EMAIL_TEMPLATE_ID: this.emailTemplateId,
    };
  }

  /**
   * The next send requests to this number or address get these behaviours, in order; then `accept` again.
   * Per recipient, so that another reminder sent at the same moment cannot take a behaviour meant for this one.
   */
  next(to: string, ...behaviours: SendBehaviour[]): this {
    this.behaviours.set(to, [...(this.behaviours.get(to) ?? []), ...behaviours]);
    return this;
  }

  /** Runs when a message is taken by `accept-then-cut`, before the connection is cut. */
  whenTaken(hook: (message: NotifyMessage) => void): this {
    this.onTaken = hook;
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => response.destroy());
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', this.baseUrl);
    const problem = this.authProblem(request.headers.authorization);
    if (problem) return answer(response, 403, errors(403, 'AuthError', problem));

    if (request.method === 'GET' && url.pathname === '/v2/notifications') {
      const type = url.searchParams.get('template_type');
      const reference = url.searchParams.get('reference');
      const found = this.messages
        .filter((m) => (!type || m.type === type) && (!reference || m.reference === reference))
        .reverse();
      return answer(response, 200, {
        notifications: found.map((m) => ({
          id: m.id,
          reference: m.reference,
          type: m.type,
          status: m.status,
          [m.type === 'sms' ? 'phone_number' : 'email_address']: m.to,
          template: { id: m.templateId, version: 1, uri: `${this.baseUrl}/templates/${m.templateId}` },
          body: m.personalisation.body,
          subject: m.personalisation.subject,
          created_at: m.createdAt,
        })),
        links: { current: `${this.baseUrl}${url.pathname}${url.search}` },
      });
    }

    const type = { '/v2/notifications/sms': 'sms', '/v2/notifications/email': 'email' }[url.pathname] as
      'sms' | 'email' | undefined;
    if (request.method !== 'POST' || !type) return answer(response, 404, errors(404, 'NotFound', 'no route'));
    this.sendRequests += 1;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
    const to = (type === 'sms' ? body.phone_number : body.email_address) ?? '';
    const templateId = body.template_id ?? '';
    const expected = type === 'sms' ? this.smsTemplateId : this.emailTemplateId;
    if (templateId !== expected) {
      return answer(response, 400, errors(400, 'BadRequestError', 'Template not found'));
    }
    if (type === 'sms' && !UK_MOBILE.test(to.replace(/[\s()-]/g, ''))) {
      return answer(response, 400, errors(400, 'ValidationError', 'phone_number Not a UK mobile number'));
    }
    if (type === 'email' && !EMAIL.test(to)) {
      return answer(response, 400, errors(400, 'ValidationError', 'email_address Not a valid email address'));
    }

    const behaviour = this.behaviours.get(to)?.shift() ?? 'accept';
    if (behaviour === 'cut') return void response.destroy();
    if (behaviour === 'error')
      return answer(response, 500, errors(500, 'Exception', 'Internal server error'));
    if (behaviour === 'rate-limit') {
      return answer(response, 429, errors(429, 'RateLimitError', 'Exceeded rate limit for key type LIVE'));
    }
    const message: NotifyMessage = {
      id: randomUUID(),
      type,
      reference: typeof body.reference === 'string' ? body.reference : null,
      to,
      templateId,
      personalisation: (body.personalisation ?? {}) as unknown as Record<string, string>,
      status: 'created',
      createdAt: new Date().toISOString(),
    };
    this.messages.push(message);
    if (behaviour === 'accept-then-cut') {
      this.onTaken(message);
      return void response.destroy();
    }
    answer(response, 201, {
      id: message.id,
      reference: message.reference,
      content:
        type === 'sms'
          ? { body: message.personalisation.body, from_number: 'NHSECMO' }
          : {
              body: message.personalisation.body,
              subject: message.personalisation.subject,
              from_email: 'ecmo.registry@notifications.service.gov.uk',
            },
      uri: `${this.baseUrl}/v2/notifications/${message.id}`,
      template: { id: templateId, version: 1, uri: `${this.baseUrl}/templates/${templateId}` },
    });
  }

  private authProblem(header: string | undefined): string | null {
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    if (!token) return 'Unauthorized: authentication token must be provided';
    try {
      const claims = jwt.verify(token, this.secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      if (claims.iss !== this.serviceId) return 'Invalid token: service not found';
      if (Math.abs(Date.now() / 1000 - (claims.iat ?? 0)) > 30) return 'Invalid token: expired';
      return null;
    } catch {
      return 'Invalid token: signature, api token not found';
    }
  }
}

function errors(status: number, error: string, message: string) {
  return { status_code: status, errors: [{ error, message }] };
}

function answer(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
