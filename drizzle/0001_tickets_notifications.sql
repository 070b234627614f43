CREATE TABLE "notification_reads" (
	"tenant_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"notification_id" uuid NOT NULL,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_reads_tenant_id_user_id_notification_id_pk" PRIMARY KEY("tenant_id","user_id","notification_id")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"tenant_id" integer NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"recipient_id" integer,
	"author_id" integer NOT NULL,
	"text" text NOT NULL,
	"session_id" uuid,
	"message_id" uuid,
	"ticket_id" uuid,
	"reply_id" uuid,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "notifications_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "notifications_type_check" CHECK ("notifications"."type" in ('CHAT_MESSAGE', 'TICKET_REPLY'))
);
--> statement-breakpoint
CREATE TABLE "ticket_replies" (
	"tenant_id" integer NOT NULL,
	"id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"author_id" integer NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "ticket_replies_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"tenant_id" integer NOT NULL,
	"id" uuid NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"subject" text NOT NULL,
	"requester_id" integer NOT NULL,
	"requester_role" text NOT NULL,
	"agent_id" integer,
	"assignee_id" integer,
	"last_reply_seq" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "tickets_status_check" CHECK ("tickets"."status" in ('OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED')),
	CONSTRAINT "tickets_source_check" CHECK ("tickets"."source" in ('LIVECHAT_OFFLINE', 'DIRECT')),
	CONSTRAINT "tickets_requester_role_check" CHECK ("tickets"."requester_role" in ('SUPPORT_AGENT', 'TENANT_USER'))
);
--> statement-breakpoint
ALTER TABLE "notification_reads" ADD CONSTRAINT "notification_reads_tenant_id_notification_id_notifications_tenant_id_id_fk" FOREIGN KEY ("tenant_id","notification_id") REFERENCES "public"."notifications"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_replies" ADD CONSTRAINT "ticket_replies_tenant_id_ticket_id_tickets_tenant_id_id_fk" FOREIGN KEY ("tenant_id","ticket_id") REFERENCES "public"."tickets"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notifications_newest_first" ON "notifications" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_replies_ticket_seq" ON "ticket_replies" USING btree ("tenant_id","ticket_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_one_live_offline_ticket_per_agent" ON "tickets" USING btree ("tenant_id","agent_id") WHERE source = 'LIVECHAT_OFFLINE' and status in ('OPEN', 'IN_PROGRESS');--> statement-breakpoint
CREATE INDEX "tickets_newest_first" ON "tickets" USING btree ("tenant_id","created_at","id");