import { success } from '../../platform/envelope.js'
import type { OperationHandlers } from '../../platform/operations.js'
import { pageOf } from '../../platform/pagination.js'
import type { NotificationService } from './notification-service.js'
import { tenantOf } from '../../platform/tenant-scope.js'

export const notificationRoutes = (notifications: NotificationService) =>
  ({
    async listNotifications(request, reply) {
      const { principal, query } = request
      const page = await notifications.list(tenantOf(request), principal.userId, query.unread_only ?? false, pageOf(query))
      return reply.code(200).send(success(request, 'Notifications', page.items, page.pagination))
    },
    async getUnreadNotificationCount(request, reply) {
      const unread = await notifications.unreadCount(tenantOf(request), request.principal.userId)
      return reply.code(200).send(success(request, `${unread} unread`, { unread }))
    },
    async markNotificationRead(request, reply) {
      const read = await notifications.markRead(tenantOf(request), request.principal.userId, request.params.id)
      return reply.code(200).send(success(request, 'Notification read', read))
    },
    async markAllNotificationsRead(request, reply) {
      const marked = await notifications.markAllRead(tenantOf(request), request.principal.userId)
      return reply.code(200).send(success(request, `${marked} marked read`, { marked_read: marked }))
    },
  }) satisfies OperationHandlers<'listNotifications' | 'getUnreadNotificationCount' | 'markNotificationRead' | 'markAllNotificationsRead'>
