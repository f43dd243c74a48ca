-- Sessions started before this migration were all password sign-ins, authenticated when they were created.
ALTER TABLE "sessions" ADD COLUMN "auth_methods" text[] DEFAULT '{pwd}' NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "auth_methods" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "authenticated_at" timestamp with time zone;--> statement-breakpoint
UPDATE "sessions" SET "authenticated_at" = "created_at";--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "authenticated_at" SET NOT NULL;
