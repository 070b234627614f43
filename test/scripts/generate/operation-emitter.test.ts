import t from 'tap'
import { emitOperationTable, type OpenApiDocument } from '../../../scripts/generate/operation-emitter.js'
import { emitComponentSchemas, type JsonSchema } from '../../../scripts/generate/schema-emitter.js'
import { asJsonSchema, assertRefused, loadEmitted, validatorOf } from '../../helpers/emitted-typebox.js'

// The operation half of `npm run generate`: the table generated/routes.ts gives Fastify, one entry per
// operationId. Each test writes a small OpenAPI document and reads the table the emitted source evaluates to.

const json = (schema: JsonSchema) => ({ content: { 'application/json': { schema } } })
const thing = { $ref: '#/components/schemas/Thing' }
// Fastify answers 413 and 415 to any request with a body, so every operation but a GET must document them.
const bodyStatuses = { 413: { $ref: '#/components/responses/Error' }, 415: { $ref: '#/components/responses/Error' } }

function documentWith(paths: object, more: Partial<OpenApiDocument> = {}): OpenApiDocument {
  return {
    paths: paths as OpenApiDocument['paths'],
    components: {
      schemas: {
        Thing: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        Error: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } },
      },
      parameters: {
        ThingId: { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        Cursor: { name: 'cursor', in: 'query', schema: { type: 'string', minLength: 1 } },
      },
      responses: {
        Error: json({ $ref: '#/components/schemas/Error' }),
        Events: { content: { 'text/event-stream': { schema: { type: 'string' } } } },
      },
    },
    ...more,
  }
}

/** The operation table of a document, evaluated. */
const tableOf = (document: OpenApiDocument) =>
  loadEmitted(emitComponentSchemas(document.components.schemas) + emitOperationTable(document)).operations

const id = '01a21d2e-b09b-7768-8a2e-90b4717b67d4'

t.test('path, query and header parameters, inline and $ref, become params, querystring and headers', async (t) => {
  const { listParts } = tableOf(
    documentWith({
      '/things/{id}/parts': {
        get: {
          operationId: 'listParts',
          parameters: [
            { $ref: '#/components/parameters/ThingId' },
            { name: 'limit', in: 'query', required: true, schema: { type: 'integer', minimum: 1 } },
            { $ref: '#/components/parameters/Cursor' },
            { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
          ],
          responses: { 200: json(thing) },
        },
      },
    }),
  )
  t.equal(listParts.method, 'GET')
  t.equal(listParts.url, '/things/:id/parts', 'the path template in Fastify form')
  t.same(asJsonSchema(listParts.schema.params), {
    type: 'object',
    properties: { id: { type: 'string', format: 'uuid' } },
    required: ['id'],
  })
  const query = validatorOf(listParts.schema.querystring)
  t.same([{ limit: 1 }, { limit: 1, cursor: 'c' }, {}, { limit: 0 }, { limit: 1, cursor: '' }].map(query), [true, true, false, false, false], 'limit required, cursor optional and checked')
  t.same(Object.keys(listParts.schema.headers.properties), ['last-event-id'], 'header names lower-cased, as Node gives them')
  t.notOk('body' in listParts.schema, 'no body schema without a request body')
})

t.test('a request body: its schema, and whether it is required', async (t) => {
  const post = (operationId: string, requestBody?: object) => ({ operationId, requestBody, responses: { 201: json(thing), ...bodyStatuses } })
  const { createThing, startThing, touchThing } = tableOf(
    documentWith({
      '/things': { post: post('createThing', { required: true, ...json(thing) }) },
      '/things/start': { post: post('startThing', json({ type: 'object', properties: { note: { type: 'string' } } })) },
      '/things/touch': { post: post('touchThing') },
    }),
  )
  t.equal(createThing.bodyRequired, true, 'required: true')
  t.same([{ id }, {}].map(validatorOf(createThing.schema.body)), [true, false], 'the body validates as Thing')
  t.equal(startThing.bodyRequired, false, 'a body without required: true is optional')
  t.same([{}, { note: 1 }].map(validatorOf(startThing.schema.body)), [true, false])
  t.equal(touchThing.bodyRequired, false)
  t.notOk('body' in touchThing.schema, 'no request body, no body schema')
})

t.test('responses by status, inline and through $ref, JSON and text', async (t) => {
  const { getThing, getMetrics } = tableOf(
    documentWith({
      '/things/{id}': { get: { operationId: 'getThing', parameters: [{ $ref: '#/components/parameters/ThingId' }], responses: { 200: json(thing), 404: { $ref: '#/components/responses/Error' } } } },
      '/metrics': { get: { operationId: 'getMetrics', responses: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    }),
  )
  t.same(Object.keys(getThing.schema.response), ['200', '404'])
  t.same([{ id }, { code: 'NOT_FOUND' }].map(validatorOf(getThing.schema.response[200])), [true, false], '200 is Thing')
  t.same([{ id }, { code: 'NOT_FOUND' }].map(validatorOf(getThing.schema.response[404])), [false, true], '404 is the Error of the referenced response')
  t.same(asJsonSchema(getMetrics.schema.response[200]), { type: 'string' }, 'a text/plain body is a string')
  t.equal(getThing.eventStream, false)
})

t.test('an event-stream 200 of a GET is written by its handler: eventStream, and no 200 schema', async (t) => {
  const { streamThings } = tableOf(
    documentWith({ '/things/events': { get: { operationId: 'streamThings', responses: { 200: { $ref: '#/components/responses/Events' }, 404: { $ref: '#/components/responses/Error' } } } } }),
  )
  t.equal(streamThings.eventStream, true)
  t.same(Object.keys(streamThings.schema.response), ['404'])
})

t.test('roles are the bearerAuth scopes of the operation; tenantId and streamToken alternatives', async (t) => {
  const get = (operationId: string, security: object[]) => ({ get: { operationId, security, responses: { 200: json(thing) } } })
  const table = tableOf(
    documentWith({
      '/a': get('tenantScoped', [{ bearerAuth: ['SUPPORT_AGENT'], tenantId: [] }]),
      '/b': get('platformWide', [{ bearerAuth: ['PLATFORM_ADMIN'] }]),
      '/c': get('tenantOptional', [{ bearerAuth: ['SUPPORT_AGENT', 'TENANT_USER'], tenantId: [] }, { bearerAuth: ['SUPPORT_AGENT', 'TENANT_USER'] }]),
      '/d': get('streamable', [{ bearerAuth: ['TENANT_USER'], tenantId: [] }, { streamToken: [] }]),
    }),
  )
  t.same(table.tenantScoped.security, { roles: ['SUPPORT_AGENT'], tenantScoped: true, streamToken: false })
  t.same(table.platformWide.security, { roles: ['PLATFORM_ADMIN'], tenantScoped: false, streamToken: false })
  t.same(table.tenantOptional.security, { roles: ['SUPPORT_AGENT', 'TENANT_USER'], tenantScoped: 'optional', streamToken: false })
  t.same(table.streamable.security, { roles: ['TENANT_USER'], tenantScoped: true, streamToken: true })
})

t.test('the document-level security applies where an operation has none; security: [] is public', async (t) => {
  const table = tableOf(
    documentWith(
      {
        '/inherits': { get: { operationId: 'inherits', responses: { 200: json(thing) } } },
        '/own': { get: { operationId: 'own', security: [{ bearerAuth: ['TENANT_USER'] }], responses: { 200: json(thing) } } },
        '/public': { get: { operationId: 'isPublic', security: [], responses: { 200: json(thing) } } },
      },
      { security: [{ bearerAuth: ['PLATFORM_ADMIN'] }] },
    ),
  )
  t.same(table.inherits.security, { roles: ['PLATFORM_ADMIN'], tenantScoped: false, streamToken: false })
  t.same(table.own.security, { roles: ['TENANT_USER'], tenantScoped: false, streamToken: false })
  t.equal(table.isPublic.security, null)
})

// One per construct: the paths of a document, the pointer and keyword the refusal must lead with, its advice.
const get = (operation: object) => ({ get: { operationId: 'getThing', responses: { 200: json(thing) }, ...operation } })
const post = (operation: object) => ({ post: { operationId: 'postThing', responses: { 201: json(thing), ...bodyStatuses }, ...operation } })
const refused: [string, object, string, string, RegExp][] = [
  ['a dangling $ref to a parameter', { '/things/{id}': get({ parameters: [{ $ref: '#/components/parameters/Missing' }] }) }, '#/paths/~1things~1{id}/get/parameters/0/$ref', '$ref', /names #\/components\/parameters\/Missing, which does not exist.*define Missing under components\/parameters/],
  ['a parameter $ref outside components/parameters', { '/things': get({ parameters: [{ $ref: '#/components/schemas/Thing' }] }) }, '#/paths/~1things/get/parameters/0/$ref', '$ref', /#\/components\/parameters\/<Name>/],
  ['a dangling $ref to a response', { '/things': get({ responses: { 200: json(thing), 404: { $ref: '#/components/responses/Gone' } } }) }, '#/paths/~1things/get/responses/404/$ref', '$ref', /names #\/components\/responses\/Gone, which does not exist/],
  ['a dangling $ref to a schema, in a body', { '/things': post({ requestBody: json({ $ref: '#/components/schemas/Missing' }) }) }, '#/paths/~1things/post/requestBody/content/application~1json/schema/$ref', '$ref', /#\/components\/schemas\/Missing, which does not exist/],
  ['a dangling $ref to a schema, in a $ref parameter (the pointer follows the $ref)', { '/things': get({ parameters: [{ $ref: '#/components/parameters/Broken' }] }) }, '#/components/parameters/Broken/schema/$ref', '$ref', /#\/components\/schemas\/Missing, which does not exist/],
  ['a schema keyword it does not translate, in a response', { '/things': get({ responses: { 200: json({ type: 'string', nullable: true }) } }) }, '#/paths/~1things/get/responses/200/content/application~1json/schema/nullable', 'nullable', /type: \[<type>, "null"\]/],
  ['a text/plain body', { '/things': post({ requestBody: { content: { 'text/plain': { schema: { type: 'string' } } } } }) }, '#/paths/~1things/post/requestBody/content/text~1plain', 'text/plain', /take the body as application\/json/],
  ['a multipart/form-data body beside JSON', { '/things': post({ requestBody: { content: { 'application/json': { schema: thing }, 'multipart/form-data': { schema: thing } } } }) }, '#/paths/~1things/post/requestBody/content/multipart~1form-data', 'multipart/form-data', /take the body as application\/json/],
  ['a JSON body without a schema', { '/things': post({ requestBody: { content: { 'application/json': {} } } }) }, '#/paths/~1things/post/requestBody/content/application~1json/schema', 'schema', /describe the body/],
  ['a $ref request body', { '/things': post({ requestBody: { $ref: '#/components/requestBodies/Thing' } }) }, '#/paths/~1things/post/requestBody/$ref', '$ref', /write the request body in the operation/],
  ['a cookie parameter', { '/things': get({ parameters: [{ name: 'session', in: 'cookie', schema: { type: 'string' } }] }) }, '#/paths/~1things/get/parameters/0/in', 'in', /the path, the query or a header/],
  ['a parameter described by content', { '/things': get({ parameters: [{ name: 'filter', in: 'query', content: { 'application/json': { schema: thing } } }] }) }, '#/paths/~1things/get/parameters/0/schema', 'schema', /describe the parameter with schema/],
  ['parameters of a path item', { '/things': { parameters: [{ $ref: '#/components/parameters/Cursor' }], ...get({}) } }, '#/paths/~1things/parameters', 'parameters', /in each operation/],
  ['a HEAD operation', { '/things': { head: { operationId: 'headThing', responses: { 200: json(thing) } } } }, '#/paths/~1things/head', 'head', /get, put, post, delete or patch/],
  ['an operation without an operationId', { '/things': get({ operationId: undefined }) }, '#/paths/~1things/get', 'operationId', /its key in the table/],
  ['an operationId no TypeScript key can be', { '/things': get({ operationId: 'get-thing' }) }, '#/paths/~1things/get/operationId', 'operationId', /letters, digits and _/],
  ['a POST without 413 and 415', { '/things': post({ responses: { 201: json(thing) } }) }, '#/paths/~1things/post/responses', 'responses', /document 413 and 415/],
  ['a response without a JSON or text body', { '/things': post({ responses: { 204: { description: 'done' }, ...bodyStatuses } }) }, '#/paths/~1things/post/responses/204', 'content', /as application\/json/],
  ['an event stream that is not the 200 of a GET', { '/things': post({ responses: { 200: { $ref: '#/components/responses/Events' }, ...bodyStatuses } }) }, '#/paths/~1things/post/responses/200', 'content', /through #\/components\/responses\/Events.*only the 200 of a GET/],
  ['a range of statuses', { '/things': get({ responses: { '2XX': json(thing) } }) }, '#/paths/~1things/get/responses/2XX', '2XX', /each status code on its own/],
  ['a security scheme it does not know', { '/things': get({ security: [{ bearerAuth: ['TENANT_USER'] }, { apiKey: [] }] }) }, '#/paths/~1things/get/security/1', 'security', /bearerAuth \(with or without tenantId\)/],
  ['a secured operation without roles', { '/things': get({ security: [{ bearerAuth: [], tenantId: [] }] }) }, '#/paths/~1things/get/security/0/bearerAuth', 'bearerAuth', /list the roles/],
  ['only a stream token', { '/things': get({ security: [{ streamToken: [] }] }) }, '#/paths/~1things/get/security', 'bearerAuth', /list the roles/],
  ['alternatives allowing other roles', { '/things': get({ security: [{ bearerAuth: ['TENANT_USER'], tenantId: [] }, { bearerAuth: ['SUPPORT_AGENT'] }] }) }, '#/paths/~1things/get/security/1/bearerAuth', 'bearerAuth', /the same roles in every alternative/],
  ['two alternatives without tenantId', { '/things': get({ security: [{ bearerAuth: ['TENANT_USER'] }, { bearerAuth: ['TENANT_USER'] }] }) }, '#/paths/~1things/get/security', 'security', /once with tenantId and once without/],
]

for (const [what, paths, pointer, keyword, says] of refused) {
  t.test(`refused: ${what}`, async (t) => {
    const document = documentWith(paths)
    document.components.parameters!.Broken = { name: 'broken', in: 'query', schema: { $ref: '#/components/schemas/Missing' } }
    assertRefused(t, () => emitOperationTable(document), { pointer, keyword, says })
  })
}

t.test('refused: document-level security it cannot translate, at #/security', async (t) => {
  const document = documentWith({ '/things': get({ security: undefined }) }, { security: [{ bearerAuth: [] }] })
  assertRefused(t, () => emitOperationTable(document), { pointer: '#/security/0/bearerAuth', keyword: 'bearerAuth', says: /list the roles/ })
})
