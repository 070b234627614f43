CREATE TABLE "session_reads" (
	"tenant_id" integer NOT NULL,
	"session_id" uuid NOT NULL,
	"user_id" integer NOT NULL,
	"last_read_seq" integer NOT NULL,
	"last_read_message_id" uuid NOT NULL,
	"read_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "session_reads_tenant_id_session_id_user_id_pk" PRIMARY KEY("tenant_id","session_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "stream_events" (
	"tenant_id" integer NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"session_id" uuid,
	"agent_id" integer,
	"audience" text NOT NULL,
	"recipient_id" integer,
	"excluded_user_id" integer,
	"data" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stream_events_tenant_id_seq_pk" PRIMARY KEY("tenant_id","seq"),
	CONSTRAINT "stream_events_audience_check" CHECK ("stream_events"."audience" in ('agent', 'tenant', 'both'))
);
--> statement-breakpoint
CREATE TABLE "stream_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"roles" text[] NOT NULL,
	"tenant_id" integer,
	"tenant_ids" integer[] NOT NULL,
	"path" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"credential_expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tenant_event_heads" (
	"tenant_id" integer PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL,
	"pruned_through" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "session_reads" ADD CONSTRAINT "session_reads_tenant_id_session_id_chat_sessions_tenant_id_id_fk" FOREIGN KEY ("tenant_id","session_id") REFERENCES "public"."chat_sessions"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_event_heads" ADD CONSTRAINT "tenant_event_heads_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stream_events_agent" ON "stream_events" USING btree ("tenant_id","agent_id","seq");--> statement-breakpoint
CREATE INDEX "stream_events_created" ON "stream_events" USING brin ("created_at");--> statement-breakpoint
CREATE INDEX "stream_tokens_expiry" ON "stream_tokens" USING btree ("expires_at");