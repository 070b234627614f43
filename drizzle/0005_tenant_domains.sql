ALTER TABLE "tenants" ADD COLUMN "domain" text;--> statement-breakpoint
CREATE UNIQUE INDEX "tenants_domain" ON "tenants" USING btree ("domain");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_domain_lower_case" CHECK ("tenants"."domain" = lower("tenants"."domain"));