import type { LivechatClient, StreamEvent } from '@livechat-api/client'
import { useEffect, useRef, useState } from 'preact/hooks'
import { failureText } from './text'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | { refused: string }
type StreamListener = (event: StreamEvent) => void

/**
 * The signed-in user's event stream for as long as the view is shown, handed to every listener. The client
 * reopens it after any loss from the last event, so listeners see each event once, in order. When the API
 * refuses it (an expired token, a resume point too old), `onRefused` decides what the page does.
 */
export function useLiveEvents(client: LivechatClient, side: 'agent' | 'client', onRefused: (error: unknown) => void) {
  const listeners = useRef(new Set<StreamListener>())
  const [state, setState] = useState<ConnectionState>('connecting')
  useEffect(() => {
    const stop = new AbortController()
    void (async () => {
      try {
        for await (const event of client.events({ side, signal: stop.signal, onConnectionChange: setState })) {
          for (const listener of listeners.current) listener(event)
        }
      } catch (error) {
        setState({ refused: failureText(error) })
        onRefused(error)
      }
    })()
    return () => stop.abort()
  }, [client, side])

  /** Adds a listener for the life of the calling component. */
  function useListener(listener: StreamListener, dependencies: unknown[]) {
    useEffect(() => {
      listeners.current.add(listener)
      return () => void listeners.current.delete(listener)
    }, dependencies)
  }
  return { state, useListener }
}

export type Live = ReturnType<typeof useLiveEvents>

export const connectionLabel = (state: ConnectionState) =>
  typeof state === 'object' ? `Stream refused: ${state.refused}` : { connecting: 'Connecting…', open: 'Live', reconnecting: 'Reconnecting…' }[state]
