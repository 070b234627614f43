ALTER TABLE "chat_sessions" DROP CONSTRAINT "chat_sessions_status_check";--> statement-breakpoint
ALTER TABLE "tickets" DROP CONSTRAINT "tickets_source_check";--> statement-breakpoint
DROP INDEX "chat_sessions_one_open_per_agent";--> statement-breakpoint
ALTER TABLE "chat_sessions" ALTER COLUMN "agent_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "agent_capacity" integer DEFAULT 5 NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "requester_id" integer;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "assigned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "ticket_id" uuid;--> statement-breakpoint
CREATE UNIQUE INDEX "chat_sessions_one_live_per_requester" ON "chat_sessions" USING btree ("tenant_id","requester_id") WHERE status in ('OPEN', 'QUEUED');--> statement-breakpoint
CREATE INDEX "chat_sessions_open_by_agent" ON "chat_sessions" USING btree ("tenant_id","agent_id") WHERE status = 'OPEN';--> statement-breakpoint
CREATE INDEX "chat_sessions_assignments" ON "chat_sessions" USING btree ("tenant_id","agent_id","assigned_at") WHERE assigned_at is not null;--> statement-breakpoint
CREATE INDEX "chat_sessions_queue" ON "chat_sessions" USING btree ("tenant_id","created_at","id") WHERE status = 'QUEUED';--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_one_live_no_agent_ticket_per_requester" ON "tickets" USING btree ("tenant_id","requester_id") WHERE source = 'LIVECHAT_NO_AGENT' and status in ('OPEN', 'IN_PROGRESS');--> statement-breakpoint
CREATE UNIQUE INDEX "chat_sessions_one_open_per_agent" ON "chat_sessions" USING btree ("tenant_id","agent_id") WHERE status = 'OPEN' and requester_id is null;--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_agent_capacity_range" CHECK ("tenants"."agent_capacity" between 1 and 100);--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_agent_check" CHECK (("chat_sessions"."status" = 'QUEUED') = ("chat_sessions"."agent_id" is null) or "chat_sessions"."status" = 'CLOSED');--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD CONSTRAINT "chat_sessions_status_check" CHECK ("chat_sessions"."status" in ('OPEN', 'QUEUED', 'CLOSED'));--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_source_check" CHECK ("tickets"."source" in ('LIVECHAT_OFFLINE', 'LIVECHAT_NO_AGENT', 'LIVECHAT_QUEUE_TIMEOUT', 'DIRECT'));