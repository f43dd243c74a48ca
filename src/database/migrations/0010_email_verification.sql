ALTER TYPE "public"."audit_event_type" ADD VALUE 'email.verified';--> statement-breakpoint
ALTER TYPE "public"."audit_event_type" ADD VALUE 'email.change_requested';--> statement-breakpoint
ALTER TYPE "public"."audit_event_type" ADD VALUE 'email.changed';--> statement-breakpoint
ALTER TABLE "account_tokens" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_verified" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "pending_email" text;--> statement-breakpoint
-- The bootstrap admin is verified; accounts from before this migration are not, until they verify.
UPDATE "users" SET "email_verified" = true WHERE 'admin' = any("roles");
