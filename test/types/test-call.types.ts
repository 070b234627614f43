// Type tests, checked by `npm run check` (tsc): each @ts-expect-error must meet an error, or tsc fails.
// They prove that the tests' `call` (and `callServer`, its twin over fetch) takes its operation id, request body
// and answer from generated/openapi.ts.
import type { Test } from 'tap'
import { callServer } from '../helpers/call-server.js'
import { untypedBody } from '../helpers/operation-types.js'
import type { TestApp } from '../helpers/test-app.js'

declare const t: Test
declare const context: TestApp
const request = { method: 'POST', url: '/livechat/sessions/0198a1fc-aab9-7dec-be1a-3d14ae0282bf/messages' } as const

export async function operationIds() {
  await context.call(t, 'sendMessage', { ...request, payload: { message: 'hi' } })
  // @ts-expect-error openapi.yaml has no operation sendMesage
  await context.call(t, 'sendMesage', { ...request, payload: { message: 'hi' } })
}

export async function requestBodies() {
  // @ts-expect-error SendMessageRequest's message is a string
  await context.call(t, 'sendMessage', { ...request, payload: { message: 1 } })
  // @ts-expect-error SendMessageRequest has `message`, not `text`
  await context.call(t, 'sendMessage', { ...request, payload: { text: 'hi' } })
  // @ts-expect-error closeSession takes no body
  await context.call(t, 'closeSession', { method: 'POST', url: '/livechat/sessions/x/close', payload: { reason: 'done' } })
  // A test of a refusal says so: an untypedBody, or text sent as it is.
  await context.call(t, 'sendMessage', { ...request, payload: untypedBody({ message: 1 }) })
  await context.call(t, 'sendMessage', { ...request, payload: '{"message": ' })
}

export async function answers() {
  const sent = await context.call(t, 'sendMessage', { ...request, payload: { message: 'hi' } })
  const id: string = sent.json().data.id
  const errors: string[] | undefined = sent.json().errors.message
  // @ts-expect-error a ChatMessage has `message`, not `text`, and no documented answer of sendMessage has it
  sent.json().data.text
  // @ts-expect-error a ChatMessage names its session, not its tenant
  sent.json().data.tenant_id
  // @ts-expect-error no answer of sendMessage, success or error, has a `result`
  sent.json().result

  // By status, exactly: json(status) also throws if the answer has another status.
  const message: string = sent.json(201).data.message
  // @ts-expect-error a 400 carries no data
  sent.json(400).data.id
  // @ts-expect-error sendMessage documents no 410
  sent.json(410)
  // @ts-expect-error nor can the status be one it does not document
  if (sent.statusCode === 410) return

  const listed = await context.call(t, 'listMessages', { method: 'GET', url: request.url })
  const hasNext: boolean = listed.json().meta.pagination.has_next
  return [id, errors, message, hasNext]
}

export async function againstAServerProcess(baseUrl: string) {
  const sent = await callServer(t, baseUrl, 'sendMessage', { ...request, payload: { message: 'hi' } })
  const id: string = sent.json(201).data.id
  // @ts-expect-error the same request bodies as `call`
  await callServer(t, baseUrl, 'sendMessage', { ...request, payload: { message: 1 } })
  // @ts-expect-error and the same operation ids
  await callServer(t, baseUrl, 'sendMesage', { ...request, payload: { message: 'hi' } })
  // @ts-expect-error and the same answers
  sent.json().data.text
  return id
}
