import { InvalidCursorError, NotFoundError } from '../../platform/domain-errors.js'
import { newId } from '../../platform/ids.js'
import { toPage, type PageRequest } from '../../platform/pagination.js'
import type { Transaction, Transactions } from '../../platform/transactions.js'
import type { EventLog } from '../event-log/event-log.js'
import { notificationCreated } from '../event-log/event-drafts.js'
import type { Notification, NotificationRepository } from './notification-repository.js'

export type NotificationService = ReturnType<typeof createNotificationService>

const excerptLength = 120

/** "Agent 7: Halo, ada yang…": who wrote, and the start of what they wrote, on one line. */
function excerpt(authorId: number, text: string): string {
  // Only a message longer than the excerpt is cut: cutting by code points spreads the text into an array.
  const line = text.replace(/\s+/g, ' ').trim()
  const codePoints = line.length > excerptLength ? [...line] : undefined
  const cut = codePoints && codePoints.length > excerptLength ? `${codePoints.slice(0, excerptLength - 1).join('')}…` : line
  return `Agent ${authorId}: ${cut}`
}

type ChatMessageWritten = { sessionId: string; messageId: string; authorId: number; text: string }
type NewNotification = Parameters<NotificationRepository['insertMany']>[2][number]
type TicketReplyWritten = {
  tenantId: number
  ticketId: string
  replyId: string
  authorId: number
  text: string
  /** The user to notify, or `null` for the whole tenant. */
  recipientId: number | null
}

type Dependencies = {
  transactions: Pick<Transactions, 'run' | 'executor'>
  notificationRepository: NotificationRepository
  events: Pick<EventLog, 'emit'>
}

export function createNotificationService({ transactions, notificationRepository, events }: Dependencies) {
  /** Streamed to whoever sees them once the caller's transaction commits. */
  function announce(tx: Transaction, tenantId: number, stored: Notification[], values: NewNotification[]): void {
    stored.forEach((notification, index) => events.emit(tx, notificationCreated(tenantId, notification, values[index].authorId)))
  }

  /** Stored and streamed to whoever sees them, within the caller's transaction. */
  async function notify(tx: Transaction, tenantId: number, values: NewNotification[]): Promise<void> {
    announce(tx, tenantId, await notificationRepository.insertMany(tx, tenantId, values), values)
  }

  return {
    /**
     * Takes the transaction that writes the messages, so neither exists without the other. The notifications
     * are stored at once, alongside the messages; their events are emitted by `announce`, which the caller
     * calls after the messages' own events, so that a stream tells of a message before its notification.
     */
    async chatMessagesWritten(tx: Transaction, tenantId: number, written: ChatMessageWritten[]): Promise<{ announce: () => void }> {
      const values: NewNotification[] = written.map((message) => ({
        id: newId(),
        type: 'CHAT_MESSAGE',
        recipientId: null,
        authorId: message.authorId,
        text: excerpt(message.authorId, message.text),
        sessionId: message.sessionId,
        messageId: message.messageId,
      }))
      const stored = await notificationRepository.insertMany(tx, tenantId, values)
      return { announce: () => announce(tx, tenantId, stored, values) }
    },

    /** Takes the transaction that writes the reply, so neither exists without the other. */
    ticketReplyWritten: (tx: Transaction, written: TicketReplyWritten): Promise<void> =>
      notify(tx, written.tenantId, [
        {
          id: newId(),
          type: 'TICKET_REPLY',
          recipientId: written.recipientId,
          authorId: written.authorId,
          text: excerpt(written.authorId, written.text),
          ticketId: written.ticketId,
          replyId: written.replyId,
        },
      ]),

    async list(tenantId: number, userId: number, unreadOnly: boolean, page: PageRequest) {
      const reader = { tenantId, userId }
      const executor = transactions.executor()
      if (page.cursor !== undefined && !(await notificationRepository.findVisible(executor, reader, page.cursor))) {
        throw new InvalidCursorError()
      }
      return toPage(await notificationRepository.page(executor, reader, unreadOnly, page), page, (item) => item.id)
    },

    unreadCount: (tenantId: number, userId: number): Promise<number> => notificationRepository.unreadCount(transactions.executor(), { tenantId, userId }),

    /** Another user's notification does not exist for the caller (404), like another tenant's. */
    markRead: (tenantId: number, userId: number, id: string): Promise<Notification> =>
      transactions.run(async (tx) => {
        const reader = { tenantId, userId }
        const found = await notificationRepository.findVisible(tx, reader, id)
        if (!found) throw new NotFoundError('Notification')
        if (found.read_at !== null) return found
        await notificationRepository.markRead(tx, reader, id)
        return (await notificationRepository.findVisible(tx, reader, id))!
      }),

    /** Moves the caller's read mark to the newest notification they see; returns how many became read. */
    markAllRead: (tenantId: number, userId: number): Promise<number> =>
      transactions.run(async (tx) => {
        const reader = { tenantId, userId }
        await notificationRepository.lockReadMark(tx, reader)
        const newest = await notificationRepository.newestVisible(tx, reader)
        if (!newest) return 0
        const marked = await notificationRepository.unreadCount(tx, reader, newest)
        await notificationRepository.markReadThrough(tx, reader, newest)
        return marked
      }),
  }
}
